"""The explorer's page (Gradio): reconstruct, move through the VAE's latent
space, denoise.

    python -m explorer [--host 127.0.0.1] [--port 7860] [--retrain]

Three scriptable endpoints (gradio_client), each returning, last, its
numbers as one JSON value: /reconstruct (one image file), /decode (z1, z2)
and /denoise (test index, noise kind, level).
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

from aelib.report import positive_int
from explorer import core, models

CACHE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), '.cache', 'explorer')
SHOWN = 8  # each 28x28 pixel shown as 8x8 screen pixels
LATENT_RANGE = 4.
TITLE = 'Autoencoders explorer'


def parse_args(argv=None):
    """Returns the command line's flags; -h explains them."""
    parser = argparse.ArgumentParser(
        prog='python -m explorer', description=__doc__.split('\n\n')[0])
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to serve on (default: 127.0.0.1, this '
                        'machine only)')
    parser.add_argument('--port', type=positive_int, default=7860,
                        help='port (default: 7860)')
    parser.add_argument('--cache', default=CACHE, metavar='DIR',
                        help='folder of the trained models (default: '
                        '.cache/explorer)')
    parser.add_argument('--retrain', action='store_true',
                        help='train every model anew, even if cached')
    parser.add_argument('--train-only', action='store_true',
                        help='prepare the cached models, then exit')
    parser.add_argument('--limit', type=positive_int, metavar='N',
                        help='train on the first N MNIST images only')
    parser.add_argument('--epochs', type=positive_int, metavar='N',
                        help='epochs of every model (default: 3 to 5 each)')
    return parser.parse_args(argv)


def big(image):
    """Returns a grey image in [0, 1] as uint8, each pixel SHOWN times
    larger (nearest neighbour), for the page."""
    pixels = np.rint(np.clip(np.asarray(image), 0, 1) * 255).astype(np.uint8)
    return np.kron(pixels, np.ones((SHOWN, SHOWN), np.uint8))


def png_file(image, folder):
    """Writes a 28x28 image in [0, 1] as a PNG file in folder; returns its
    path."""
    from PIL import Image
    handle, path = tempfile.mkstemp(suffix='.png', dir=folder)
    os.close(handle)
    Image.fromarray(np.rint(np.asarray(image) * 255).astype(np.uint8)).save(
        path)
    return path


def scatter_picture(explorer):
    """Returns the VAE's test means coloured by digit as an RGB array whose
    pixels map linearly onto z in [-LATENT_RANGE, LATENT_RANGE]^2 (z1
    across, z2 up), so that a click can be read back as z."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure = plt.figure(figsize=(4, 4), dpi=100)
    axis = figure.add_axes([0, 0, 1, 1])
    axis.scatter(explorer.means[:, 0], explorer.means[:, 1],
                 c=explorer.labels, cmap='tab10', s=2, vmin=-0.5, vmax=9.5)
    for digit in range(10):
        centre = np.median(explorer.means[explorer.labels == digit], axis=0)
        if np.all(np.isfinite(centre)):
            axis.text(*centre, str(digit), fontsize=13, weight='bold',
                      ha='center', va='center')
    axis.set_xlim(-LATENT_RANGE, LATENT_RANGE)
    axis.set_ylim(-LATENT_RANGE, LATENT_RANGE)
    axis.axhline(0, color='grey', lw=0.5)
    axis.axvline(0, color='grey', lw=0.5)
    figure.canvas.draw()
    picture = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return picture


def click_to_z(x, y, width, height):
    """Returns the z (z1, z2) of the pixel (x, y) of the scatter picture."""
    z1 = -LATENT_RANGE + 2 * LATENT_RANGE * (x + 0.5) / width
    z2 = LATENT_RANGE - 2 * LATENT_RANGE * (y + 0.5) / height
    return round(z1, 2), round(z2, 2)


def build(explorer, folder):
    """Returns the Gradio Blocks of the page over an Explorer; folder holds
    the PNG files the random buttons and the sketchpad write."""
    import gradio as gr
    rng = np.random.default_rng()
    names = models.TASK_NAMES

    def reconstruct(path):
        """Endpoint /reconstruct: one image file."""
        try:
            seen, rebuilt, text, numbers = explorer.reconstruct(path)
        except core.InputError as error:
            return ([None] * (1 + len(names))
                    + ['**{}**'.format(error), {'error': str(error)}])
        verdict = ('Anomaly score {:.1f}: more unusual than {:.1f}% of '
                   'real MNIST test digits.'.format(
                       numbers['anomaly_score'], numbers['percentile']))
        return ([big(seen)] + [big(rebuilt[name]) for name in names]
                + ['{}\n\n{}'.format(text, verdict), numbers])

    def draw(sketch):
        """Turns the sketchpad's drawing into the endpoint's PNG file."""
        try:
            seen, _ = core.as_mnist(sketch)
        except core.InputError as error:
            gr.Warning(str(error))
            return gr.update()
        return png_file(seen, folder)

    def pick(dataset):
        """Writes a random test image of dataset as the endpoint's file."""
        image, _ = explorer.random_image(dataset, rng)
        return png_file(image, folder)

    def decode(z1, z2):
        """Endpoint /decode: the VAE's decoder at z = (z1, z2)."""
        try:
            image, numbers = explorer.decode(z1, z2)
        except core.InputError as error:
            return None, {'error': str(error)}
        return big(image), numbers

    def clicked(event: gr.SelectData):
        """Moves the sliders to the z of the clicked point."""
        height, width = picture.shape[:2]
        return click_to_z(event.index[0], event.index[1], width, height)

    def interpolate(first, second):
        """The decoded strip between two test digits' means."""
        try:
            images, z = explorer.interpolate(first, second)
        except (core.InputError, TypeError, ValueError) as error:
            return [], {'error': str(error)}
        return ([(big(image), 'z = ({:.2f}, {:.2f})'.format(*point))
                 for image, point in zip(images, z)],
                {'z': np.round(z, 3).tolist()})

    def denoise(index, kind, level):
        """Endpoint /denoise: a test digit, a noise kind and level."""
        try:
            clean, noisy, denoised, median, numbers = explorer.denoise(
                index, kind, level)
        except core.InputError as error:
            return [None] * 4 + ['**{}**'.format(error),
                                 {'error': str(error)}]
        psnr = numbers['psnr_db']
        text = 'PSNR against the clean digit: noisy {}, denoiser {}, ' \
            'median filter {} dB.'.format(psnr['noisy'], psnr['denoiser'],
                                          psnr['median'])
        return [big(image) for image in (clean, noisy, denoised, median)] \
            + [text, numbers]

    picture = scatter_picture(explorer)
    with gr.Blocks(title=TITLE) as page:
        gr.Markdown('# {}\nThe four task models (trained on MNIST with the '
                    'mains\' arguments), a denoiser and an anomaly '
                    'detector, to play with.'.format(TITLE))
        with gr.Tab('Reconstruct'):
            with gr.Row():
                with gr.Column():
                    sketch = gr.Sketchpad(label='Draw a digit',
                                          type='numpy', image_mode='RGBA',
                                          elem_id='sketchpad')
                    use = gr.Button('Reconstruct my drawing',
                                    elem_id='use-drawing')
                with gr.Column():
                    image_file = gr.File(label='Image file (PNG, JPEG...)',
                                         elem_id='image-file')
                    mnist = gr.Button('Random MNIST digit', variant='primary',
                                      elem_id='random-mnist')
                    fashion = gr.Button('Random Fashion-MNIST image',
                                        elem_id='random-fashion')
            status = gr.Markdown(elem_id='reconstruct-status')
            with gr.Row():
                seen = gr.Image(label='as the models see it',
                                elem_id='seen', height=180)
                outputs = [gr.Image(label=name, elem_id='rebuilt-' + name,
                                    height=180) for name in names]
            numbers = gr.JSON(label='numbers', elem_id='reconstruct-json')
            image_file.change(reconstruct, image_file,
                              [seen] + outputs + [status, numbers],
                              api_name='reconstruct')
            use.click(draw, sketch, image_file, api_visibility='private')
            mnist.click(lambda: pick('mnist'), None, image_file,
                        api_visibility='private')
            fashion.click(lambda: pick('fashion_mnist'), None, image_file,
                          api_visibility='private')
        with gr.Tab('Latent space'):
            with gr.Row():
                with gr.Column():
                    scatter = gr.Image(
                        picture, label='VAE means of the test digits (z1 '
                        'across, z2 up; click to pick z)',
                        interactive=False, elem_id='scatter')
                with gr.Column():
                    z1 = gr.Slider(-LATENT_RANGE, LATENT_RANGE, value=0.,
                                   step=0.05, label='z1', elem_id='z1')
                    z2 = gr.Slider(-LATENT_RANGE, LATENT_RANGE, value=0.,
                                   step=0.05, label='z2', elem_id='z2')
                    decoded = gr.Image(label='decoded digit',
                                       elem_id='decoded', height=224)
                    latent_json = gr.JSON(label='numbers',
                                          elem_id='decode-json')
            gr.on([z1.change, z2.change], decode, [z1, z2],
                  [decoded, latent_json], api_name='decode')
            scatter.select(clicked, None, [z1, z2],
                           api_visibility='private')
            with gr.Row():
                first = gr.Number(0, label='first test digit', precision=0)
                second = gr.Number(1, label='second test digit',
                                   precision=0)
                go = gr.Button('Interpolate')
            strip = gr.Gallery(label='decoded between the two means',
                               columns=8, height=200)
            strip_json = gr.JSON(visible=False)
            go.click(interpolate, [first, second], [strip, strip_json],
                     api_name='interpolate')
        with gr.Tab('Denoise'):
            with gr.Row():
                index = gr.Number(0, label='test digit (index)',
                                  precision=0, elem_id='denoise-index')
                kind = gr.Radio(list(core.NOISE_KINDS), value='gaussian',
                                label='noise')
                level = gr.Slider(0.05, 1., value=0.5, step=0.05,
                                  label='level (standard deviation or '
                                  'rate)')
                run = gr.Button('Add noise and denoise', variant='primary',
                                elem_id='denoise-run')
            with gr.Row():
                images = [gr.Image(label=label, height=180)
                          for label in ('clean', 'noisy', 'denoiser',
                                        'median filter 3x3')]
            denoise_status = gr.Markdown()
            denoise_json = gr.JSON(label='numbers')
            run.click(denoise, [index, kind, level],
                      images + [denoise_status, denoise_json],
                      api_name='denoise')
    return page


def main(argv=None):
    """Prepares the models (trained where the cache lacks them) and serves
    the page until interrupted."""
    args = parse_args(argv)
    began = time.perf_counter()
    epochs = None if args.epochs is None else {
        name: args.epochs for name in models.NAMES}
    loaded, detector = models.prepare(args.cache, args.limit, epochs,
                                      args.retrain)
    if args.train_only:
        print('models ready in {} ({:.0f} s)'.format(
            args.cache, time.perf_counter() - began), file=sys.stderr)
        return
    explorer = core.Explorer(loaded, detector)
    folder = tempfile.mkdtemp(prefix='explorer-')
    page = build(explorer, folder)
    page.queue(default_concurrency_limit=1)
    page.launch(server_name=args.host, server_port=args.port, share=False,
                prevent_thread_lock=True, quiet=True, show_error=True)
    print('Autoencoders explorer ready at http://{}:{}/ ({:.0f} s); '
          'Ctrl+C stops it'.format(args.host, args.port,
                                   time.perf_counter() - began),
          file=sys.stderr, flush=True)
    try:
        page.block_thread()
    except KeyboardInterrupt:
        page.close()
