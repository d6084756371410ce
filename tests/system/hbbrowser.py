# SPDX-License-Identifier: MIT
"""A headless Chromium for system tests, driven from another process.

    b = Browser(cluster, ns)        # Chromium + chromedriver inside `ns`
    b.open("http://10.213.7.1:8080/")
    b.js("return document.title")
    t_ns = b.wait_js("return ...", timeout=5)["mono_ns"]
    b.close()

The nodes' addresses only exist inside the cluster's network namespaces,
so the browser runs in one of them: this file, run as a script under `ip
netns exec`, starts Selenium's Chrome (Debian's chromium and
chromium-driver, python3-selenium) and answers one JSON line per request
line on stdin/stdout. `mono_ns` values are CLOCK_MONOTONIC, the clock of
the daemons' at_ns (the namespaces share it). The browser's profile lives
in the cluster's work directory, so the cluster's close() also kills any
Chromium process left over.

Browser() raises BrowserUnavailable when Chromium cannot start here (the
tests skip on it).
"""

import json
import os
import subprocess
import sys
import time


class BrowserUnavailable(Exception):
    """Chromium or chromedriver could not be started."""


class Browser:
    def __init__(self, cluster, ns, width=1280, height=900, timeout=60):
        profile = os.path.join(cluster.workdir, "chromium")
        os.makedirs(profile, exist_ok=True)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "/usr/bin/python3",
             os.path.abspath(__file__), profile, str(width), str(height)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.timeout = timeout
        hello = self._read()
        if not hello.get("ok"):
            self.close()
            raise BrowserUnavailable(hello.get("error", "no answer"))

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            return {"ok": False, "error": "browser helper exited"}
        return json.loads(line)

    def _call(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        r = self._read()
        if not r.get("ok"):
            raise AssertionError(f"browser: {req.get('op')}: "
                                 f"{r.get('error')}")
        return r

    def open(self, url):
        self._call(op="open", url=url)

    def size(self, width, height):
        self._call(op="size", w=width, h=height)

    def js(self, script):
        """The value of `script` (a function body: `return ...`)."""
        return self._call(op="js", script=script)["value"]

    def wait_js(self, script, timeout):
        """Poll `script` every 20 ms until it returns a true value:
        {"value": it, "mono_ns": when it was seen}; AssertionError after
        `timeout` seconds."""
        return self._call(op="wait_js", script=script, timeout=timeout)

    def screenshot(self, path):
        self._call(op="screenshot", path=path)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)


# ---- the helper process (inside the namespace) ----------------------------

def _serve(profile, width, height):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    def say(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-sync",
              "--disable-component-update", "--disable-default-apps",
              "--disable-extensions", "--hide-scrollbars",
              "--force-device-scale-factor=1",
              f"--window-size={width},{height}",
              f"--user-data-dir={profile}"):
        opts.add_argument(a)
    try:
        drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                               options=opts)
    except (WebDriverException, OSError) as e:
        say({"ok": False, "error": str(e).strip().splitlines()[0]})
        return
    drv.set_page_load_timeout(30)
    say({"ok": True})
    try:
        for line in sys.stdin:
            req = json.loads(line)
            op = req["op"]
            try:
                if op == "quit":
                    break
                if op == "open":
                    drv.get(req["url"])
                    say({"ok": True})
                elif op == "size":
                    drv.set_window_size(req["w"], req["h"])
                    say({"ok": True})
                elif op == "js":
                    say({"ok": True, "value": drv.execute_script(
                        req["script"])})
                elif op == "wait_js":
                    end = time.monotonic() + req["timeout"]
                    while True:
                        v = drv.execute_script(req["script"])
                        now = time.monotonic_ns()
                        if v:
                            say({"ok": True, "value": v, "mono_ns": now})
                            break
                        if time.monotonic() > end:
                            say({"ok": False, "error": "timed out after "
                                 f"{req['timeout']} s; last value {v!r}"})
                            break
                        time.sleep(0.02)
                elif op == "screenshot":
                    ok = drv.save_screenshot(req["path"])
                    say({"ok": bool(ok)})
                else:
                    say({"ok": False, "error": f"unknown op {op!r}"})
            except WebDriverException as e:
                say({"ok": False, "error": str(e).strip()})
    finally:
        drv.quit()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
