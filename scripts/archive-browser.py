#!/usr/bin/python3
"""Drives the archive web UI in headless Chromium (Selenium) for ArchiveBrowserTests.

Usage: archive-browser.py CONFIG.json  — CONFIG holds base, beacon_port, output, downloads,
admin/auditor credentials, the message ids and the expected attachment digest. Prints one
JSON object with what it saw. A small HTTP listener on beacon_port counts every request the
hostile mail might make (it must stay at zero).
"""
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

config = json.load(open(sys.argv[1]))
hits = []


class Beacon(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


beacon = http.server.ThreadingHTTPServer(("127.0.0.1", config["beacon_port"]), Beacon)
threading.Thread(target=beacon.serve_forever, daemon=True).start()

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--lang=ja", "--hide-scrollbars"]:
    options.add_argument(argument)
options.add_experimental_option("prefs", {
    "download.default_directory": config["downloads"], "download.prompt_for_download": False,
    "intl.accept_languages": "ja,en",
})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
result = {"screenshots": []}
base = config["base"]


def shot(name):
    path = os.path.join(config["output"], f"archive-{name}.png")
    driver.save_screenshot(path)
    result["screenshots"].append(path)


def sign_in(name, password):
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    time.sleep(0.5)


def search(query):
    driver.get(base + "/search?" + urllib.parse.urlencode({"q": query, "order": "newest"}))
    return driver.find_element(By.ID, "total").text


try:
    driver.get(base + "/search")
    result["anonymous_redirect"] = driver.current_url
    shot("login")
    sign_in("root", config["admin_password"])
    result["after_login"] = driver.current_url
    result["total_all"] = driver.find_element(By.ID, "total").text
    shot("search")
    result["total_japanese"] = search("請求書")
    result["japanese_subjects"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td.subject a")]
    result["marks"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".snippet mark")]
    shot("search-ja")

    driver.get(base + f"/message/{config['attachment_message']}")
    result["message_subject"] = driver.find_element(By.ID, "subject").text
    result["attachment_names"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "a.attachment")]
    shot("message")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": config["downloads"]})
    driver.find_elements(By.CSS_SELECTOR, "a.attachment")[0].click()
    deadline = time.time() + 20
    downloaded = []
    while time.time() < deadline:
        downloaded = [n for n in os.listdir(config["downloads"]) if not n.endswith(".crdownload")]
        if downloaded:
            break
        time.sleep(0.2)
    result["downloaded"] = downloaded
    if downloaded:
        with open(os.path.join(config["downloads"], downloaded[0]), "rb") as f:
            result["download_sha256"] = hashlib.sha256(f.read()).hexdigest()

    driver.get(base + f"/message/{config['hostile_message']}")
    time.sleep(2)
    result["hostile_title"] = driver.title
    shot("html")
    frame = driver.find_element(By.ID, "html-view")
    result["frame_sandbox"] = frame.get_attribute("sandbox")
    driver.switch_to.frame(frame)
    result["frame_heading"] = driver.find_element(By.TAG_NAME, "h1").text
    result["frame_scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
    result["frame_images"] = [e.get_attribute("src") for e in driver.find_elements(By.TAG_NAME, "img")]
    driver.switch_to.default_content()

    sign_in("tanaka", config["auditor_password"])
    result["auditor_total_all"] = driver.find_element(By.ID, "total").text
    subjects = []
    page = 1
    while True:
        driver.get(base + f"/search?q=&order=newest&page={page}")
        found = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td.subject a")]
        if not found or page > 20:
            break
        subjects += found
        page += 1
    result["auditor_subjects"] = subjects
    result["auditor_out_of_scope_total"] = search(config["out_of_scope_word"])
    shot("auditor")
    driver.get(base + f"/message/{config['out_of_scope_message']}")
    result["auditor_direct_url"] = driver.find_element(By.TAG_NAME, "h1").text
finally:
    time.sleep(0.5)
    result["beacon_hits"] = hits
    driver.quit()
    beacon.shutdown()
    print(json.dumps(result, ensure_ascii=False))
