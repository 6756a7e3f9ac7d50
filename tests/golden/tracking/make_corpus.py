#!/usr/bin/env python3
"""Writes the tracking corpus: NN_name.eml (the message as an application submits it) and
NN_name.eml.links (the URLs the tracker must send readers to, in order, one per line: the links
as written, in the ASCII form a browser requests for a non-ASCII one).

Each message is written out by hand below (not generated from the tracker's code), so the
.links files are an independent statement of what must be rewritten. Run it again after editing:
    /usr/bin/python3 tests/golden/tracking/make_corpus.py
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRLF = "\r\n"


def hdr(subject: str, extra: str = "") -> str:
    return ("From: Shop <news@shop.example>\nTo: Customer <customer@mail.example>\n"
            f"Subject: {subject}\nDate: Sun, 22 Nov 2026 08:00:00 +0000\nMIME-Version: 1.0\n{extra}")


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data: bytes) -> str:
    raw = base64.b64encode(data).decode("ascii")
    return "\n".join(raw[i:i + 76] for i in range(0, len(raw), 76))


def fake_pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    body = bytes((i * 31 + 7) % 256 for i in range(size))
    return head + body + b"\n%%EOF\n"


def fake_png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes((i * 13 + 5) % 256 for i in range(size))


HTML_SHOP = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Autumn sale</title></head>
<body style="margin:0">
<table width="100%"><tr><td>
<h1>Autumn sale</h1>
<p>Hello Jane, our <a href="https://shop.example/sale?utm_source=mail&amp;utm_campaign=autumn">autumn sale</a> starts today.</p>
<p><a href="https://shop.example/product/42">Product 42</a> &middot; <a href="mailto:help@shop.example">help</a></p>
<p><a href="https://shop.example/account/unsubscribe" data-waybill-unsubscribe>Unsubscribe</a></p>
</td></tr></table>
</body>
</html>
"""
HTML_SHOP_LINKS = ["https://shop.example/sale?utm_source=mail&utm_campaign=autumn",
                   "https://shop.example/product/42"]
TEXT_SHOP = """Hello Jane,

our autumn sale starts today: https://shop.example/sale?utm_source=mail
Product 42: https://shop.example/product/42.

Questions? mailto:help@shop.example
"""
TEXT_SHOP_LINKS = ["https://shop.example/sale?utm_source=mail", "https://shop.example/product/42"]

messages: dict[str, tuple[str, list[str]]] = {}


def add(name: str, text: str, links: list[str]) -> None:
    messages[name] = (text, links)


def add_html(name: str, subject: str, html: str, links: list[str]) -> None:
    """A message that is one text/html part and nothing else (no charset, no transfer encoding)."""
    add(name, hdr(subject, "Content-Type: text/html\n") + "\n" + html, links)


def alternative(plain: str, html: str, html_cte: str = "quoted-printable", boundary: str = "alt-1",
                charset: str = "utf-8") -> str:
    html_body = {"quoted-printable": lambda: qp(html, charset), "base64": lambda: b64(html.encode(charset)),
                 "8bit": lambda: html, "7bit": lambda: html}[html_cte]()
    return (f"--{boundary}\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: quoted-printable\n\n"
            f"{qp(plain, charset)}\n--{boundary}\nContent-Type: text/html; charset=\"{charset}\"\n"
            f"Content-Transfer-Encoding: {html_cte}\n\n{html_body}\n--{boundary}--\n")


# 1-4: multipart/alternative in each transfer encoding.
add("01_alternative_qp_html", hdr("Autumn sale", 'Content-Type: multipart/alternative; boundary="alt-1"\n') + "\n" +
    alternative(TEXT_SHOP, HTML_SHOP), TEXT_SHOP_LINKS + HTML_SHOP_LINKS)
add("02_alternative_base64_html", hdr("Autumn sale (b64)", 'Content-Type: multipart/alternative; boundary="alt-1"\n') +
    "\n" + alternative(TEXT_SHOP, HTML_SHOP, "base64"), TEXT_SHOP_LINKS + HTML_SHOP_LINKS)
add("03_alternative_8bit_html", hdr("Autumn sale (8bit)", 'Content-Type: multipart/alternative; boundary="alt-1"\n') +
    "\n" + alternative(TEXT_SHOP, HTML_SHOP.replace("Hello Jane", "Grüß dich, Jürgen"), "8bit"),
    TEXT_SHOP_LINKS + HTML_SHOP_LINKS)
add("04_alternative_7bit_html", hdr("Autumn sale (7bit)", 'Content-Type: multipart/alternative; boundary="alt-1"\n') +
    "\n" + alternative(TEXT_SHOP, HTML_SHOP, "7bit"), TEXT_SHOP_LINKS + HTML_SHOP_LINKS)

# 5: nested related with inline images inside alternative inside mixed.
RELATED_HTML = """<html><body>
<img src="cid:logo@shop.example" alt="Shop">
<p>Your order <a href="https://shop.example/orders/1001">#1001</a> has shipped.</p>
<img src="cid:map@shop.example" alt="map">
<p><a href="https://track.carrier.example/?id=ZX81&amp;lang=en">Track the parcel</a></p>
</body></html>
"""
add("05_mixed_alternative_related_inline_images",
    hdr("Your order has shipped", 'Content-Type: multipart/mixed; boundary="mixed-5"\n') + f"""
This is a multi-part message in MIME format.
--mixed-5
Content-Type: multipart/alternative; boundary="alt-5"

--alt-5
Content-Type: text/plain; charset=us-ascii

Your order #1001 has shipped: https://shop.example/orders/1001
--alt-5
Content-Type: multipart/related; boundary="rel-5"; type="text/html"

--rel-5
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(RELATED_HTML)}
--rel-5
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@shop.example>
Content-Disposition: inline; filename="logo.png"

{b64(fake_png(3000))}
--rel-5
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <map@shop.example>

{b64(fake_png(5000))}
--rel-5--

--alt-5--

--mixed-5
Content-Type: application/pdf; name="invoice-1001.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="invoice-1001.pdf"

{b64(fake_pdf(20000))}
--mixed-5--
""", ["https://shop.example/orders/1001", "https://shop.example/orders/1001",
      "https://track.carrier.example/?id=ZX81&lang=en"])

# 6: PDF attachment and message/rfc822 attachment whose links must stay.
add("06_pdf_and_rfc822_attachments", hdr("Fwd: contract", 'Content-Type: multipart/mixed; boundary="m6"\n') + f"""
--m6
Content-Type: text/html; charset=utf-8

<p>See the forwarded mail and <a href="https://docs.example/contract.pdf">the contract</a>.</p>
--m6
Content-Type: message/rfc822

From: Legal <legal@docs.example>
Subject: contract
Content-Type: text/html

<p>Original: <a href="https://docs.example/original">must not change</a></p>
--m6
Content-Type: application/pdf; name=contract.pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=contract.pdf

{b64(fake_pdf(40000))}
--m6--
""", ["https://docs.example/contract.pdf"])

# 7-8: text only.
add("07_text_only_7bit", hdr("Password reset", "Content-Type: text/plain; charset=us-ascii\n") + """
Hi,

reset your password here: https://app.example/reset?token=abc123&user=7
(the link expires in an hour: https://app.example/help/expiry).

If you did not ask, ignore this mail or write to <https://app.example/support>.
-- 
App team, https://app.example
""", ["https://app.example/reset?token=abc123&user=7", "https://app.example/help/expiry",
      "https://app.example/support", "https://app.example"])
add("08_text_only_no_mime_headers", "From: a@app.example\nTo: b@mail.example\nSubject: plain\n\n"
    "No MIME headers at all. Visit http://app.example/plain now!\n", ["http://app.example/plain"])

# 9-11: charsets.
LATIN_HTML = "<html><body><p>Bonjour Hélène, voici <a href=\"https://boutique.example/soldes?x=é\">les soldes</a>.</p></body></html>\n"
add("09_iso_8859_1_qp", hdr("Soldes", 'Content-Type: text/html; charset="ISO-8859-1"\nContent-Transfer-Encoding: quoted-printable\n') +
    "\n" + qp(LATIN_HTML, "iso-8859-1"), ["https://boutique.example/soldes?x=%C3%A9"])  # é decoded from Latin-1, sent as UTF-8
add("10_utf8_base64_html", hdr("Привет", 'Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64\n') +
    "\n" + b64("<html><body><p>Привет! <a href=\"https://shop.example/ru\">Магазин</a> 🛒</p></body></html>\n".encode()) + "\n",
    ["https://shop.example/ru"])
add("11_utf16_left_untouched", hdr("UTF-16", 'Content-Type: text/html; charset=UTF-16\nContent-Transfer-Encoding: base64\n') +
    "\n" + b64("<html><body><a href=\"https://shop.example/utf16\">x</a></body></html>".encode("utf-16")) + "\n", [])

# 12: 8bit plain + html body.
add("12_8bit_utf8_html", hdr("Café", "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n") +
    "\n<html><body><p>Café ☕ — <a href=\"https://cafe.example/menu\">menu</a></p></body></html>\n",
    ["https://cafe.example/menu"])

# 13-14: very long lines.
long_html = "<html><body><p>" + " ".join(f"word{i}" for i in range(160)) + \
    ' <a href="https://long.example/line">long line link</a></p></body></html>\n'
add("13_long_line_8bit_html", hdr("Long line", "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n") +
    "\n" + long_html, ["https://long.example/line"])
long_qp_html = "<html><body>" + "".join(f'<a href="https://long.example/{i}">link {i}</a> ' for i in range(40)) + "</body></html>"
add("14_long_line_qp_html", hdr("Long QP line", "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n") +
    "\n" + qp(long_qp_html) + "\n", [f"https://long.example/{i}" for i in range(40)])

# 15-17: tag and attribute spellings.
add_html("15_uppercase_tags", "UPPER",
         '<HTML><BODY><A HREF="HTTPS://Upper.Example/Path">Upper</A><AREA SHAPE=RECT HREF="http://upper.example/area"></BODY></HTML>\n',
         ["HTTPS://Upper.Example/Path", "http://upper.example/area"])
add_html("16_unquoted_and_single_quoted", "Quoting",
         "<html><body><a href=http://q.example/unquoted?a=1>u</a> <a href='https://q.example/single'>s</a>"
         " <a\nhref\n=\n\"https://q.example/spaced\"\n>sp</a></body></html>\n",
         ["http://q.example/unquoted?a=1", "https://q.example/single", "https://q.example/spaced"])
add_html("17_entities_in_urls", "Entities",
         '<html><body><a href="https://e.example/?a=1&amp;b=2&#38;c=3&#x26;d=4">e</a>'
         '<a href="https://e.example/q?x=&quot;y&quot;">q</a></body></html>\n',
         ["https://e.example/?a=1&b=2&c=3&d=4", 'https://e.example/q?x="y"'])

# 18-19: comments, script, style.
add_html("18_links_in_comments", "Comments",
         '<html><body><!-- <a href="https://hidden.example/comment">x</a> -->\n'
         '<!--[if mso]><a href="https://hidden.example/mso">mso</a><![endif]-->\n'
         '<a href="https://visible.example/1">visible</a></body></html>\n', ["https://visible.example/1"])
add_html("19_links_in_script_and_style", "Script",
         '<html><head><style>a[href="https://hidden.example/css"] { color: red }</style>\n'
         '<script>document.write(\'<a href="https://hidden.example/js">\');</script></head>\n'
         '<body><a href="https://visible.example/2">v</a></body></html>\n', ["https://visible.example/2"])

# 20: 200 links.
many = "<html><body>\n" + "".join(f'<p><a href="https://many.example/item/{i}?ref=mail">Item {i}</a></p>\n'
                                   for i in range(200)) + "</body></html>\n"
add("20_two_hundred_links", hdr("200 links", "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n") +
    "\n" + qp(many), [f"https://many.example/item/{i}?ref=mail" for i in range(200)])

# 21-30: what templates and mail clients really send.
add_html("21_not_rewritten_schemes", "Schemes",
         '<html><body><a href="mailto:a@b.example">m</a><a href="tel:+4930123">t</a><a href="#section">a</a>'
         '<a href="javascript:void(0)">j</a><a href="ftp://files.example/x">f</a><a href="/relative">r</a>'
         '<a href="https://ok.example/">ok</a></body></html>\n', ["https://ok.example/"])
add_html("22_notrack_and_tracking_host", "Notrack",
         '<html><body><a data-waybill-notrack href="https://private.example/">p</a>'
         '<a href="https://t.example/u/ALREADY">unsub</a><a href="https://ok.example/x">x</a></body></html>\n',
         ["https://ok.example/x"])
add_html("23_no_body_tag_fragment", "Fragment",
         '<p>Just a fragment with <a href="https://frag.example/">a link</a></p>\n', ["https://frag.example/"])
add("24_lf_line_endings_alternative", hdr("LF", 'Content-Type: multipart/alternative; boundary=lf\n') +
    "\n--lf\nContent-Type: text/plain\n\nSee http://lf.example/a\n--lf\nContent-Type: text/html\n\n"
    '<a href="http://lf.example/a">a</a>\n--lf--\n', ["http://lf.example/a", "http://lf.example/a"])
add("25_boundary_with_specials", hdr("Boundary", "Content-Type: multipart/alternative;\n"
    ' boundary="----=_Part_123_456.789"\n') +
    '\n------=_Part_123_456.789\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n'
    '<a href="https://b.example/specials">s</a>\n------=_Part_123_456.789--\n', ["https://b.example/specials"])
add("26_signed_left_untouched", hdr("Signed", 'Content-Type: multipart/signed; protocol="application/pgp-signature";'
    ' micalg=pgp-sha256; boundary="sig"\n') +
    '\n--sig\nContent-Type: text/html\n\n<a href="https://signed.example/">s</a>\n--sig\n'
    'Content-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n--sig--\n', [])
add("27_attached_html_file", hdr("Report", 'Content-Type: multipart/mixed; boundary=m27\n') +
    '\n--m27\nContent-Type: text/plain\n\nReport attached, online at https://reports.example/1\n--m27\n'
    'Content-Type: text/html; name=report.html\nContent-Disposition: attachment; filename=report.html\n\n'
    '<a href="https://reports.example/inside-file">x</a>\n--m27--\n', ["https://reports.example/1"])
add("28_calendar_and_csv", hdr("Invite", 'Content-Type: multipart/mixed; boundary=m28\n') +
    '\n--m28\nContent-Type: text/html; charset=utf-8\n\n<p><a href="https://cal.example/rsvp?e=1">RSVP</a></p>\n--m28\n'
    'Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nURL:https://cal.example/event/1\nEND:VCALENDAR\n'
    '--m28\nContent-Type: text/csv\n\nid,url\n1,https://cal.example/csv\n--m28--\n', ["https://cal.example/rsvp?e=1"])
add("29_windows_1252_8bit", hdr("Prices", 'Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n') +
    "\n<html><body><p>Only \x80 9,99 \x96 <a href='https://prices.example/eur'>buy</a></p></body></html>\n",
    ["https://prices.example/eur"])
add_html("30_empty_href_and_whitespace_urls", "Odd hrefs",
         '<html><body><a href="">empty</a><a href>none</a><a href="  https://ws.example/trim  ">trim</a>'
         '<a href="https://bad.example/has space">space</a></body></html>\n', ["https://ws.example/trim"])
add("31_many_text_urls_qp", hdr("Digest", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n") +
    "\n" + qp("Today's digest:\n" + "".join(f"* Story {i}: https://news.example/s/{i}?src=digest\n" for i in range(30))),
    [f"https://news.example/s/{i}?src=digest" for i in range(30)])
add_html("32_image_map_and_base", "Map",
         '<html><head><base href="https://base.example/"></head><body><img usemap="#m" src="cid:x">'
         '<map name="m"><area shape="rect" coords="0,0,10,10" href="https://map.example/a" alt="a">'
         '<area shape="rect" coords="10,0,20,10" href="#b" alt="b"></map></body></html>\n', ["https://map.example/a"])


def main() -> None:
    for old in HERE.glob("*.eml*"):
        old.unlink()
    for name, (text, links) in messages.items():
        # Write exactly as an application would submit over SMTP: CRLF line endings, except the
        # one message kept with bare LFs on purpose (24) to cover sloppy submitters.
        # Messages declared in a Latin charset are written in it (their URLs too: the tracker works
        # on bytes, so the expected URL is the part's bytes).
        charset = "latin-1" if name.startswith(("09", "29")) else "utf-8"
        data = text.encode(charset)
        if not name.startswith("24"):
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        (HERE / f"{name}.eml").write_bytes(data)
        (HERE / f"{name}.eml.links").write_bytes("".join(f"{u}\n" for u in links).encode(charset))
    print(f"wrote {len(messages)} messages to {HERE}")


if __name__ == "__main__":
    main()
