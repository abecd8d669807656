"""The explorer: the functions behind its endpoints without a server (input
conversion, shapes, ranges, the percentile by hand, bad inputs), the model
cache, the running app through gradio_client, and the page in headless
Chromium. Its models train for one epoch on 300 images here."""
import io
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT

pytest.importorskip('gradio', reason='the explorer runs in the Keras 3 '
                    'environment, where requirements-explore.txt installs '
                    'Gradio')

from aelib import datasets  # noqa: E402
from explorer import app, browser, core, models  # noqa: E402

LIMIT = 300


def png_bytes(array, mode=None):
    """Returns the PNG file of a uint8 array."""
    out = io.BytesIO()
    Image.fromarray(array, mode).save(out, format='PNG')
    return out.getvalue()


def write(tmp_path, name, data):
    """Writes data into tmp_path/name; returns the path as a string."""
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    """Trains the explorer's models on a slice into a cache folder."""
    folder = str(tmp_path_factory.mktemp('explorer-cache'))
    models.prepare(folder, LIMIT, {name: 1 for name in models.NAMES})
    return folder


@pytest.fixture(scope='module')
def explorer(cache):
    """An Explorer over the cached models, loaded as a second launch
    loads them."""
    loaded, detector = models.prepare(cache, LIMIT)
    return core.Explorer(loaded, detector, limit=LIMIT)


# -- what the models see ---------------------------------------------------

def test_an_mnist_sized_digit_is_only_scaled():
    digit = np.zeros((28, 28), np.uint8)
    digit[5:20, 12:15] = 255
    digit[10, 10] = 128
    seen, text = core.as_mnist(Image.fromarray(digit))
    assert seen.shape == (28, 28) and seen.dtype == np.float32
    np.testing.assert_allclose(seen, digit / 255., atol=1e-6)
    assert text == ('Input as the models see it: 28x28 grey levels in '
                    '[0, 1].')


def test_dark_ink_on_white_is_inverted_and_the_note_says_so():
    page = np.full((28, 28), 255, np.uint8)
    page[4:24, 13:16] = 0
    seen, text = core.as_mnist(Image.fromarray(page))
    assert seen[10, 14] == 1 and seen[0, 0] == 0
    assert 'light background inverted' in text


def test_a_large_colour_picture_is_greyed_resized_and_centred():
    picture = np.zeros((300, 200, 3), np.uint8)
    picture[50:250, 20:60] = (255, 0, 0)  # a red bar, 200 x 40 pixels
    seen, text = core.as_mnist(Image.fromarray(picture))
    assert seen.shape == (28, 28)
    assert 'colours turned to grey' in text
    assert 'resized from 200x300 to 28x28' in text
    rows, cols = np.nonzero(seen > 0.5)
    # the longer side becomes 20 pixels, the ink's centre the frame's
    assert rows.max() - rows.min() + 1 == 20
    assert abs(np.mean(rows) - 13.5) <= 1 and abs(np.mean(cols) - 13.5) <= 1


def test_transparent_sketch_reads_as_a_light_digit_on_black():
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[40:160, 90:110] = (0, 0, 0, 255)  # black strokes, clear elsewhere
    seen, text = core.as_mnist({'composite': rgba,
                                'background': None, 'layers': []})
    assert seen.max() == 1 and seen[0, 0] == 0
    assert 'transparent parts read as white' in text
    assert 'light background inverted' in text


@pytest.mark.parametrize('value, message', [
    (None, 'Draw a digit, upload an image or pick a random one first.'),
    ({'composite': None, 'layers': []},
     'The sketchpad is empty: draw a digit first.'),
    ({'composite': np.zeros((100, 100, 4), np.uint8)},
     'The picture is empty: nothing stands out from its background.'),
    (np.full((28, 28), 200, np.uint8),
     'The picture is empty: nothing stands out from its background.'),
])
def test_empty_inputs_are_refused_with_a_message(value, message):
    with pytest.raises(core.InputError) as raised:
        core.as_mnist(value)
    assert str(raised.value) == message


def test_a_file_that_is_not_an_image_is_refused(tmp_path):
    path = write(tmp_path, 'notes.png', b'these are not pixels')
    with pytest.raises(core.InputError) as raised:
        core.as_mnist(path)
    assert 'not an image' in str(raised.value)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / 'huge.png'
    with open(path, 'wb') as f:
        f.truncate(core.MAX_BYTES + 1)
    with pytest.raises(core.InputError) as raised:
        core.as_mnist(str(path))
    assert str(raised.value) == ('The file is 5.0 MB; the explorer takes '
                                 'images up to 5 MB.')


def test_a_png_file_is_read_like_the_array():
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 10:18] = 255
    from_file, _ = core.as_mnist(png_bytes(digit))
    from_array, _ = core.as_mnist(digit)
    np.testing.assert_array_equal(from_file, from_array)


# -- the detector and the endpoints' functions -----------------------------

def test_percentile_counts_the_test_scores_strictly_below():
    detector = models.Detector(np.random.default_rng(0).random((20, 4)),
                               test_scores=[5., 1., 3., 3., 9.])
    # sorted 1 3 3 5 9: below 3 one of five, below 4 three, below 0 none
    assert detector.percentile(3.) == 20.
    assert detector.percentile(4.) == 60.
    assert detector.percentile(0.) == 0.
    assert detector.percentile(10.) == 100.


def test_reconstruct_returns_each_models_image_and_its_squared_error(
        explorer):
    x = explorer.test[3]
    seen, rebuilt, _, numbers = explorer.reconstruct(x)
    np.testing.assert_allclose(seen, x, atol=1e-6)
    assert set(rebuilt) == set(models.TASK_NAMES)
    assert set(numbers) == {'errors', 'anomaly_score', 'percentile'}
    for name, image in rebuilt.items():
        assert image.shape == (28, 28)
        assert 0 <= image.min() and image.max() <= 1
        assert numbers['errors'][name] == pytest.approx(
            float(np.sum((image.astype(np.float64) - x) ** 2)), abs=2e-3)
    assert 0 <= numbers['percentile'] <= 100
    json.dumps(numbers)


def test_the_anomaly_score_ranks_as_the_detector_scores(explorer):
    _, _, _, numbers = explorer.reconstruct(explorer.test[0])
    stats = models.detector_stats(explorer.models['vanilla'],
                                  explorer.test[:1].reshape(1, 784))
    score = explorer.detector.score(stats)[0]
    assert numbers['anomaly_score'] == pytest.approx(score, abs=1e-3)
    below = np.mean(explorer.detector.test_scores < score) * 100
    assert numbers['percentile'] == pytest.approx(below, abs=0.01)


def test_decode_returns_the_vae_decoders_digit(explorer):
    image, numbers = explorer.decode(1.5, -0.5)
    assert image.shape == (28, 28)
    assert 0 <= image.min() and image.max() <= 1
    assert numbers == {'z': [1.5, -0.5]}
    again, _ = explorer.decode(1.5, -0.5)
    np.testing.assert_array_equal(image, again)  # the decoder is fixed


def test_interpolation_starts_and_ends_at_the_two_means(explorer):
    images, z = explorer.interpolate(0, 1, steps=5)
    assert images.shape == (5, 28, 28)
    np.testing.assert_allclose(z[0], explorer.means[0], rtol=1e-6)
    np.testing.assert_allclose(z[-1], explorer.means[1], rtol=1e-6)
    with pytest.raises(core.InputError):
        explorer.interpolate(0, LIMIT)


def test_denoise_reports_the_psnr_of_each_output(explorer):
    clean, noisy, denoised, median, numbers = explorer.denoise(
        7, 'gaussian', 0.5)
    for image in (clean, noisy, denoised, median):
        assert image.shape == (28, 28)
    assert numbers['noise'] == 'gaussian' and numbers['level'] == 0.5
    for name, image in (('noisy', noisy), ('denoiser', denoised),
                        ('median', median)):
        mse = np.mean((clean.astype(np.float64) - image) ** 2)
        assert numbers['psnr_db'][name] == pytest.approx(
            10 * np.log10(1 / mse), abs=0.01)
    # the noise is seeded by the index: the same call, the same numbers
    assert explorer.denoise(7, 'gaussian', 0.5)[-1] == numbers
    _, noisy, _, _, _ = explorer.denoise(7, 'dropout', 0.5)
    assert set(np.unique(noisy[clean == 0])) == {0}


@pytest.mark.parametrize('args, message', [
    ((-1, 'gaussian', 0.5), 'index must be from 0 to 299, got -1'),
    ((0, 'salt', 0.5), "noise must be one of gaussian, dropout, got 'salt'"),
    ((0, 'dropout', 0), 'level must be above 0 and at most 1, got 0.0'),
    (('x', 'dropout', 0.5), "index must be a whole number and level a "
                            "number, got 'x' and 0.5"),
])
def test_bad_denoise_arguments_are_refused_by_name(explorer, args, message):
    with pytest.raises(core.InputError) as raised:
        explorer.denoise(*args)
    assert str(raised.value) == message


def test_a_click_on_the_scatter_maps_back_to_z():
    # pixel centres: the first sits half a pixel (0.01 in z) inside
    assert app.click_to_z(0, 0, 400, 400) == (-3.99, 3.99)
    assert app.click_to_z(399, 399, 400, 400) == (3.99, -3.99)
    assert app.click_to_z(199.5, 199.5, 400, 400) == (0, 0)


# -- the cache -------------------------------------------------------------

def test_a_second_launch_loads_the_cache_without_training(cache, capfd):
    models.prepare(cache, LIMIT)
    assert '== training' not in capfd.readouterr().err


def test_a_corrupt_or_foreign_model_is_retrained(cache, tmp_path, capfd):
    import shutil
    folder = str(tmp_path / 'copy')
    shutil.copytree(cache, folder)
    with open(os.path.join(folder, 'sparse.keras'), 'wb') as f:
        f.write(b'not a model')
    shutil.copy(os.path.join(folder, 'vanilla.keras'),
                os.path.join(folder, 'variational.keras'))
    manifest = json.load(open(os.path.join(folder, models.MANIFEST)))
    manifest['files']['variational.keras'] = models.sha256(
        os.path.join(folder, 'variational.keras'))
    with open(os.path.join(folder, models.MANIFEST), 'w') as f:
        json.dump(manifest, f)
    loaded, _ = models.prepare(folder, LIMIT, {n: 1 for n in models.NAMES})
    err = capfd.readouterr().err
    assert 'sparse.keras: not the file this cache wrote (checksum ' \
        'differs); retraining' in err
    assert 'variational.keras: not the variational model (another ' \
        'architecture); retraining' in err
    assert '== training sparse' in err and '== training variational' in err
    assert '== training vanilla' not in err
    assert len(loaded['variational'].outputs) == 1
    assert tuple(loaded['sparse'].inputs[0].shape[1:]) == (784,)


# -- the running app -------------------------------------------------------

def free_port():
    """Returns a TCP port free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(explorer, tmp_path_factory):
    """Serves the page on 127.0.0.1 for this module's tests; stops it."""
    folder = str(tmp_path_factory.mktemp('explorer-files'))
    page = app.build(explorer, folder)
    page.queue(default_concurrency_limit=1)
    port = free_port()
    page.launch(server_name='127.0.0.1', server_port=port,
                prevent_thread_lock=True, quiet=True)
    yield 'http://127.0.0.1:{}/'.format(port)
    page.close()


@pytest.fixture(scope='module')
def client(server):
    """A gradio_client Client of the served page."""
    from gradio_client import Client
    return Client(server, verbose=False)


def mnist_and_fashion_files(tmp_path):
    """Writes the first MNIST and Fashion-MNIST test images as PNG files."""
    (_, _), (mnist, _) = datasets.load('mnist')
    (_, _), (fashion, _) = datasets.load('fashion_mnist')
    return (write(tmp_path, 'digit.png', png_bytes(mnist[0])),
            write(tmp_path, 'fashion.png', png_bytes(fashion[0])))


def test_reconstruct_endpoint_answers_with_the_documented_json(
        client, tmp_path):
    from gradio_client import handle_file
    digit, fashion = mnist_and_fashion_files(tmp_path)
    answer = client.predict(handle_file(digit), api_name='/reconstruct')
    numbers = answer[-1]
    assert set(numbers) == {'errors', 'anomaly_score', 'percentile'}
    assert set(numbers['errors']) == set(models.TASK_NAMES)
    clothing = client.predict(handle_file(fashion),
                              api_name='/reconstruct')[-1]
    # a real digit is ordinary, a sandal unlike the digits
    assert numbers['percentile'] < 90
    assert clothing['percentile'] > 95
    assert clothing['percentile'] > numbers['percentile']


def test_decode_and_denoise_endpoints_answer_with_their_json(client):
    image, numbers = client.predict(1.0, -2.0, api_name='/decode')
    assert numbers == {'z': [1.0, -2.0]}
    assert os.path.exists(image)
    answer = client.predict(5, 'dropout', 0.3, api_name='/denoise')
    numbers = answer[-1]
    assert set(numbers['psnr_db']) == {'noisy', 'denoiser', 'median'}
    assert numbers['index'] == 5 and numbers['noise'] == 'dropout'
    assert all(os.path.exists(path) for path in answer[:4])


def test_bad_files_get_a_message_and_the_app_keeps_serving(client,
                                                           tmp_path):
    from gradio_client import handle_file
    text = write(tmp_path, 'notes.txt', b'no pixels here')
    answer = client.predict(handle_file(text), api_name='/reconstruct')
    assert answer[-1] == {'error': 'That file is not an image the explorer '
                                   'can read (PNG, JPEG, GIF, BMP, '
                                   'WebP...).'}
    assert 'not an image' in answer[-2]
    blank = write(tmp_path, 'blank.png',
                  png_bytes(np.full((28, 28), 255, np.uint8)))
    assert 'empty' in client.predict(handle_file(blank),
                                     api_name='/reconstruct')[-1]['error']
    # still serving
    assert client.predict(0.0, 0.0, api_name='/decode')[-1] == \
        {'z': [0.0, 0.0]}


def test_the_command_line_serves_the_cached_models_without_training(cache):
    # what is asserted is that nothing trains, not a time: a slow or busy
    # host takes longer to import TensorFlow and Gradio
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, '-m', 'explorer', '--cache', cache, '--limit',
         str(LIMIT), '--port', str(port)], cwd=ROOT, text=True,
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if 'explorer ready at' in line:
                break
        assert 'ready at http://127.0.0.1:{}/'.format(port) in lines[-1], \
            ''.join(lines)[-3000:]
        assert not any('== training' in line for line in lines)
        from urllib.request import urlopen
        with urlopen('http://127.0.0.1:{}/'.format(port), timeout=30) as page:
            assert app.TITLE in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_page_in_a_real_browser(server, tmp_path):
    reason = browser.available()
    if reason:
        pytest.skip(reason)
    shots = os.environ.get('EXPLORER_SCREENSHOTS')
    seen = browser.tour(server, str(tmp_path / 'profile'),
                        screenshot=shots or str(tmp_path / 'explorer'))
    assert all(src.startswith(('http', 'data:'))
               for src in seen['rebuilt'].values())
    assert 'percentile' in seen['json'] and 'vanilla' in seen['json']
    assert 'Anomaly score' in seen['status']
    before, after = seen['decoded']
    assert before and after and before != after
    assert '2.5' in seen['decode_json']
    shot = (shots or str(tmp_path / 'explorer')) + '-latent.png'
    with open(shot, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_images_shown_are_the_models_pixels_enlarged():
    image = np.array([[0., 1.], [0.5, 0.25]])
    shown = app.big(image)
    assert shown.shape == (2 * app.SHOWN, 2 * app.SHOWN)
    assert shown[0, 0] == 0 and shown[0, app.SHOWN] == 255
    assert shown[app.SHOWN, 0] == 128


def test_the_benchmark_section_names_the_endpoints_over_the_goal():
    from aelib import report
    from explorer import bench
    rows = [{'endpoint': name, 'calls': 20, 'median_ms': answer,
             'max_ms': answer + 40, 'download_median_ms': answer + 200,
             'download_max_ms': answer + 260, 'function_median_ms': 3.}
            for name, answer in (('reconstruct', 312.4), ('decode', 151.),
                                 ('denoise', 299.6))]
    text = bench.render({'command': 'python -m explorer.bench',
                         'rows': rows, 'screenshots': ['results/x-a.png'],
                         'environment': report.environment()})
    assert text.startswith(bench.BEGIN) and text.endswith(bench.END)
    assert '| reconstruct | 312 | 352 | 512 | 3 |' in text
    assert '| decode | 151 | 191 | 351 | 3 |' in text
    assert 'Over {} ms (median): reconstruct.'.format(bench.GOAL_MS) in text
    assert '![x-a](../results/x-a.png)' in text
