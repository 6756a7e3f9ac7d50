// Sends through waybill-apid with the official Postmark and SendGrid Node.js client libraries,
// exactly as an application would after changing only the host and the key. Prints one JSON
// object per line: {"client", "ok", "response" | "error"}.
//
//   node send_with_esp_clients.js PORT KEY REQUESTS.json
"use strict";
const fs = require("fs");
const postmark = require("postmark");
const sgMail = require("@sendgrid/mail");

const [port, key, requestsFile] = process.argv.slice(2);
const requests = JSON.parse(fs.readFileSync(requestsFile, "utf8"));

function report(client, promise) {
  return promise.then(
    (response) => console.log(JSON.stringify({ client, ok: true, response })),
    (error) => console.log(JSON.stringify({
      client, ok: false,
      error: { name: error.name, message: error.message, code: error.code, statusCode: error.statusCode,
               body: error.response && error.response.body },
    })));
}

async function main() {
  const pm = new postmark.ServerClient(requests.postmark_key || key, { useHttps: false, requestHost: `127.0.0.1:${port}` });
  await report("postmark.sendEmail", pm.sendEmail(requests.postmark));
  if (requests.postmark_template) await report("postmark.sendEmailWithTemplate", pm.sendEmailWithTemplate(requests.postmark_template));
  if (requests.postmark_bad_key) {
    const bad = new postmark.ServerClient(requests.postmark_bad_key, { useHttps: false, requestHost: `127.0.0.1:${port}` });
    await report("postmark.badKey", bad.sendEmail(requests.postmark));
  }
  sgMail.setApiKey(key);
  sgMail.client.setDefaultRequest("baseUrl", `http://127.0.0.1:${port}`);
  await report("sendgrid.send", sgMail.send(requests.sendgrid).then(([response]) => ({
    statusCode: response.statusCode, messageId: response.headers["x-message-id"],
  })));
}

main().catch((error) => { console.error(error); process.exit(1); });
