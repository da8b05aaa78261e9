"""Print and phone check of the public pages in a real Chromium (no extra package: the DevTools
protocol over a pipe).

    .venv/bin/python tests/print_check.py [BASE_URL]      (default http://127.0.0.1:8000)

Against a running server (``make run``), for every item of the open data's plan it prints
``/items/<code>/`` to PDF (A4 landscape, the page's own @page rule) and counts the pages, then
opens every public page at 390 px and measures whether the page scrolls sideways. It exits 1 when
an item needs more than MAX_PAGES pages or a page is wider than the phone. Needs /usr/bin/chromium
(CHROMIUM=path to use another). Not part of ``make test``: the browser tests of issue 13 item 8
cover the phone pass in CI; this is the quick check by hand (README, "Print and phones").
"""

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

MAX_PAGES = 3
PHONE_WIDTH = 390
# A4 landscape less the 10 mm margins of the print stylesheet, in CSS pixels.
PRINT_WIDTH = 1047
SETTLE_SECONDS = 2.0  # scripts (the charts) drawn before measuring

OVERFLOW = """JSON.stringify({
  scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
})"""


class Browser:
    """Headless Chromium driven through --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen(
            [
                os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            close_fds=False,
            preexec_fn=fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Page.enable", session=True)

    def send(self, method, params=None, session=False):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply.get("result", {})

    def open(self, url, *, width, media=""):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
            session=True,
        )
        self.send("Emulation.setEmulatedMedia", {"media": media}, session=True)
        self.send("Page.navigate", {"url": url}, session=True)
        time.sleep(SETTLE_SECONDS)

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        return result["result"]["value"]

    def pdf_pages(self) -> int:
        data = self.send(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False},
            session=True,
        )["data"]
        return len(re.findall(rb"/Type\s*/Page[^s]", base64.b64decode(data)))

    def close(self):
        self.process.kill()
        self.process.wait()


def main(base: str) -> int:
    with urllib.request.urlopen(f"{base}/opendata/plan.json") as response:
        document = json.load(response)
    codes = [item["code"] for item in document["items"]]
    browser = Browser()
    problems = []
    try:
        for code in codes:
            url = f"{base}/items/{code}/"
            browser.open(url, width=PRINT_WIDTH, media="print")
            pages = browser.pdf_pages()
            print(f"印刷 {code}: {pages}ページ")
            if pages > MAX_PAGES:
                problems.append(
                    f"{code} は印刷すると {pages} ページです（{MAX_PAGES} ページまで）。"
                )
        phone_pages = ["/", *(f"/items/{code}/" for code in codes)]
        for item in document["items"][:3]:
            kpis = [k for i in item["initiatives"] for k in i["kpis"]]
            if kpis:
                phone_pages.append(f"/items/{item['code']}/kpis/{kpis[0]['code']}/")
        for path in phone_pages:
            browser.open(base + path, width=PHONE_WIDTH)
            widths = json.loads(browser.evaluate(OVERFLOW))
            if widths["scroll"] > widths["client"]:
                problems.append(
                    f"{path} は幅 {PHONE_WIDTH}px で横にはみ出します（{widths['scroll']}px）。"
                )
        print(f"スマートフォン幅 {PHONE_WIDTH}px: {len(phone_pages)} ページを確認")
    finally:
        browser.close()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main((sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")))
