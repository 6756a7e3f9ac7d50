#!/usr/bin/env python3
"""Checks the layering of the tree (README "Layout"); exits 1 and names each breach.

- core/ is pure: its CMake target links no libpq, libmilter, civetweb, prometheus or libsystemd,
  and its code includes no socket, database or daemon header and calls no socket or process API.
- Every SQL statement lives in store/ (or sql/): no other production folder holds one.
- No program folder includes or links another program's code; cli/ links no daemon library.

Usage: check_layers.py [SOURCE_DIR]   (default: the checkout this file is in)
       check_layers.py --self-test     (the checker finds each kind of breach in a tree made for it)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

PROGRAMS = ["milter", "policyd", "pipe-transport", "tracking-httpd", "webhooks", "logd", "apid", "cli"]
PRODUCTION = ["core", "runtime", *PROGRAMS]
CPP_SUFFIXES = {".cpp", ".h", ".hpp", ".cc", ".def"}

CORE_FORBIDDEN_LINKS = re.compile(r"LIBPQ|MILTER|civetweb|prometheus|SYSTEMD|CURL", re.I)
CORE_FORBIDDEN_INCLUDES = re.compile(
    r'#\s*include\s*[<"](libpq-fe\.h|libmilter/|prometheus/|civetweb|systemd/|curl/|sys/socket\.h|'
    r'sys/un\.h|netinet/tcp\.h|netdb\.h|sys/wait\.h|spawn\.h|boost/asio|boost/beast)')
# Calls, not names: `::socket(`, `fork()`, `execv(`, ... at a word boundary, outside comments/strings.
CORE_FORBIDDEN_CALLS = re.compile(
    r"(?<![\w.>:])(?:::)?(socket|bind|listen|accept4?|connect|fork|vfork|execv[pe]?|execl[pe]?|"
    r"posix_spawnp?|popen|system|waitpid|sd_notify|PQ\w+)\s*\(")
SQL = re.compile(r"\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX|VIEW)|ON\s+CONFLICT)\b|\bPQexec\w*\s*\(", re.I)
# A program's libraries: its own add_library() calls, and the LIBRARY of waybill_add_daemon() (cmake/).
ADD_LIBRARY = re.compile(r"(?:\badd_library\(\s*|\bwaybill_add_daemon\([^)]*?\bLIBRARY\s+)(\w+)")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def strip_strings(text: str) -> str:
    text = re.sub(r'R"(\w*)\((.*?)\)\1"', lambda m: '""' + "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)


def sources(root: Path, folder: str):
    base = root / folder
    if base.is_dir():
        yield from sorted(p for p in base.rglob("*") if p.suffix in CPP_SUFFIXES and p.is_file())


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def check_core(root: Path, breaches: list[str]) -> None:
    cmake = strip_cmake_comments((root / "core" / "CMakeLists.txt").read_text())
    for match in re.finditer(r"target_link_libraries\((.*?)\)", cmake, flags=re.S):
        for bad in CORE_FORBIDDEN_LINKS.finditer(match.group(1)):
            breaches.append(f"core/CMakeLists.txt: waybill_core links {bad.group(0)}")
    for path in sources(root, "core"):
        code = strip_comments(path.read_text(errors="replace"))
        rel = path.relative_to(root)
        for m in CORE_FORBIDDEN_INCLUDES.finditer(code):
            breaches.append(f"{rel}:{line_of(code, m.start())}: core includes {m.group(1)}")
        bare = strip_strings(code)
        for m in CORE_FORBIDDEN_CALLS.finditer(bare):
            breaches.append(f"{rel}:{line_of(bare, m.start())}: core calls {m.group(1)}()")


def strip_cmake_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text)


def check_sql(root: Path, breaches: list[str]) -> None:
    for folder in PRODUCTION:
        for path in sources(root, folder):
            code = strip_comments(path.read_text(errors="replace"))
            for m in SQL.finditer(code):
                breaches.append(f"{path.relative_to(root)}:{line_of(code, m.start())}: SQL outside store/: "
                                f"{m.group(0).strip()}")


def program_libraries(root: Path) -> dict[str, set[str]]:
    owned = {}
    for folder in PROGRAMS:
        cmake = root / folder / "CMakeLists.txt"
        if cmake.is_file():
            owned[folder] = set(ADD_LIBRARY.findall(strip_cmake_comments(cmake.read_text())))
    return owned


def check_programs(root: Path, breaches: list[str]) -> None:
    owned = program_libraries(root)
    for folder in owned:
        cmake_text = strip_cmake_comments((root / folder / "CMakeLists.txt").read_text())
        for other, libraries in owned.items():
            if other == folder:
                continue
            for library in libraries:
                if re.search(rf"\b{library}\b", cmake_text):
                    breaches.append(f"{folder}/CMakeLists.txt: links {library}, a library of {other}/")
            for path in sources(root, folder):
                code = strip_comments(path.read_text(errors="replace"))
                for m in re.finditer(rf'#\s*include\s*"(\.\./)*{re.escape(other)}/', code):
                    breaches.append(f"{path.relative_to(root)}:{line_of(code, m.start())}: "
                                    f"includes code of {other}/")


def breaches_in(root: Path) -> list[str]:
    breaches: list[str] = []
    check_core(root, breaches)
    check_sql(root, breaches)
    check_programs(root, breaches)
    return breaches


def self_test() -> int:
    """The checker must see one breach of each kind in a small tree made for it, and none in its clean twin."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "core/CMakeLists.txt": "add_library(waybill_core STATIC x.cpp)\n"
                                   "target_link_libraries(waybill_core PUBLIC fmt::fmt)\n",
            "core/x.cpp": "// socket( in a comment is fine\nint f() { return Parser::connect(1); }\n",
            "store/events.cpp": 'const char* q = "INSERT INTO events VALUES (1)";\n',
            "milter/CMakeLists.txt": "add_library(waybill_milter_lib STATIC a.cpp)\n",
            "logd/CMakeLists.txt": "waybill_add_daemon(waybill-logd LIBRARY waybill_logd_lib)\n",
            "cli/CMakeLists.txt": "add_executable(waybill main.cpp)\n",
            "cli/main.cpp": "int main() {}\n",
        }
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        clean = breaches_in(root)
        (root / "core/CMakeLists.txt").write_text(files["core/CMakeLists.txt"] + "target_link_libraries(waybill_core PkgConfig::LIBPQ)\n")
        (root / "core/y.cpp").write_text("#include <sys/socket.h>\nint g() { return ::socket(1, 2, 3) + fork(); }\n")
        (root / "cli/main.cpp").write_text('#include "milter/pipeline.h"\nauto q = "DELETE FROM events";\n')
        (root / "cli/CMakeLists.txt").write_text("target_link_libraries(waybill waybill_milter_lib waybill_logd_lib)\n")
        dirty = "\n".join(breaches_in(root))
    expected = ["links LIBPQ", "includes sys/socket.h", "calls socket()", "calls fork()",
                "SQL outside store/: DELETE FROM", "includes code of milter/", "links waybill_milter_lib",
                "links waybill_logd_lib"]
    missing = [e for e in expected if e not in dirty]
    if clean or missing:
        print(f"self-test failed: clean tree reported {clean}; not reported: {missing}")
        return 1
    print(f"self-test: {len(expected)} kinds of breach found, clean tree clean")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    breaches = breaches_in(root)
    for breach in breaches:
        print(breach)
    print(f"layers: {len(breaches)} breach(es)")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
