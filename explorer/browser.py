"""Drives the explorer's page in a real browser: Debian's headless
Chromium through its chromedriver, with Selenium. Shared by the tests and
the benchmark's screenshot."""
import os
import shutil

CHROMIUM = ('/usr/bin/chromium', '/usr/bin/chromium-browser',
            '/usr/bin/google-chrome')
DRIVER = ('/usr/bin/chromedriver',)
# without these, Chromium keeps calling home, which a closed network refuses
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage', '--window-size=1280,1100')


def found(paths):
    """Returns the first of paths that exists, or None."""
    return next((path for path in paths if os.path.exists(path)), None)


def available():
    """Returns why no browser can be driven here, or None if one can."""
    if found(CHROMIUM) is None:
        return 'no Chromium at {} (apt-get install chromium)'.format(
            ' or '.join(CHROMIUM))
    if found(DRIVER) is None:
        return 'no chromedriver at {} (apt-get install chromium-driver)'\
            .format(DRIVER[0])
    return None


def start(profile):
    """Returns a Selenium driver of headless Chromium, its profile in the
    empty folder profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = found(CHROMIUM)
    for flag in FLAGS + ('--user-data-dir=' + profile,):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(found(DRIVER)), options=options)


def image_source(driver, elem_id):
    """Returns the src of the image shown in the element elem_id, or ''."""
    images = driver.find_elements('css selector', '#{} img'.format(elem_id))
    return images[0].get_attribute('src') or '' if images else ''


def tour(url, profile, screenshot=None, timeout=60):
    """Opens the page at url, picks a random MNIST digit, waits for the
    four reconstructions, then moves the z1 slider in the latent tab and
    waits for the decoded digit to change. Saves a screenshot of each step
    (screenshot-reconstruct.png and screenshot-latent.png, if screenshot
    names a path stem). Returns what appeared: {'rebuilt': {name: src},
    'json': text, 'decoded': (src before, src after), 'z1': value}."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait
    driver = start(profile)
    seen = {}
    try:
        wait = WebDriverWait(driver, timeout)
        driver.get(url)
        wait.until(ready.element_to_be_clickable((By.ID, 'random-mnist')))
        driver.find_element(By.ID, 'random-mnist').click()
        names = ('vanilla', 'sparse', 'convolutional', 'variational')
        wait.until(lambda d: all(image_source(d, 'rebuilt-' + name)
                                 for name in names))
        wait.until(lambda d: 'percentile' in d.find_element(
            By.ID, 'reconstruct-json').text)
        seen['rebuilt'] = {name: image_source(driver, 'rebuilt-' + name)
                           for name in names}
        seen['json'] = driver.find_element(By.ID, 'reconstruct-json').text
        seen['status'] = driver.find_element(By.ID,
                                             'reconstruct-status').text
        if screenshot:
            driver.save_screenshot(screenshot + '-reconstruct.png')
        tab = [b for b in driver.find_elements(By.CSS_SELECTOR,
                                               'button[role="tab"]')
               if b.text.strip() == 'Latent space'][0]
        tab.click()
        number = wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, '#z1 input[type="number"]')))
        number.send_keys(Keys.CONTROL, 'a')
        number.send_keys('2.5', Keys.ENTER)
        wait.until(lambda d: image_source(d, 'decoded'))
        first = image_source(driver, 'decoded')
        wait.until(lambda d: '2.5' in d.find_element(By.ID,
                                                     'decode-json').text)
        slider = driver.find_element(By.CSS_SELECTOR,
                                     '#z2 input[type="range"]')
        for _ in range(20):  # 20 steps of 0.05 to the right: z2 = 1
            slider.send_keys(Keys.ARROW_RIGHT)
        wait.until(lambda d: image_source(d, 'decoded') != first)
        seen['decoded'] = (first, image_source(driver, 'decoded'))
        seen['decode_json'] = driver.find_element(By.ID, 'decode-json').text
        if screenshot:
            driver.save_screenshot(screenshot + '-latent.png')
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return seen
