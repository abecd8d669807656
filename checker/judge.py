"""The judge: decides every engine check's verdict from what it read of a
runner's processes (checker.engines.run_jobs: the frames of each task's checks
process, what each of its processes printed, how each ended), without
ever running the learner's code.

It draws the challenge (the images and codes the runner must run the models
on) once the runner has started, from a generator the runner never sees,
and passes a check only on evidence it has verified itself:

- `imports_cleanly`, `quiet` and `main_output` from what the task's
  import, checks and main processes printed on the pipes it reads, and
  how the zygote says they ended;
- `builds` when the models' descriptions, with their weights, give the
  outputs and the gradients the runner reported on the challenge
  (verify(): the judge recomputes them in numpy, checker.recompute);
- `structure` from the specification's sentences (checker.spec) on the
  verified descriptions, and auto(x) against the judge's
  decoder(encoder(x));
- `compiled`, `regularizer`, `vae_outputs`, `vae_loss`, `variants` and
  `trains` from the judge's own measures of the evidence
  (checker.measures).

Evidence that is missing, malformed or beyond what the judge computes
fails the check, saying so. A failure the runner reports stands (its
message names the mistake and its line): a runner that lies can only lose
that way. A check with no evidence at all fails with what happened to the
runner (a time limit, a crash, the sandbox), and the checks after it are
skipped.
"""
import math

import numpy as np

from checker import protocol, spec, static, tasks
from checker.measures import (compiled_problem, first_printed, main_lines,
                              regularizer_outcome, trains_problem,
                              vae_loss_problem, vae_outputs_problem,
                              variants_veto)
from checker.recompute import (ATOL, FORWARD_LIMIT, LARGEST_VALUE, LOCK,
                               MOST_DRAWS, MOST_OUTPUTS, Misbuilt, NUMBERS,
                               Unnamed,
                               Unverified, WEIGHTS_LIMIT, beyond, checked,
                               close, forward, malformed, not_recomputed, text,
                               weight_names)

CHALLENGE_SIZE = 8
VERDICTS = ('pass', 'fail', 'note', 'skip')
# what a check the runner never reported says where its process ended
# well (status 0): the learner's file ended it
ENDED = 'the process ended (status 0) before this check reported: ' \
    'something in the file ends it (os._exit, say)'


def latent_shape(task):
    """Returns the shape of one code of the main's models."""
    latent = tasks.MAIN_ARGS[task][2]
    return tuple(latent) if isinstance(latent, (tuple, list)) else (latent,)


def input_shape(task):
    """Returns the shape of one image of the main's models."""
    given = tasks.MAIN_ARGS[task][0]
    return tuple(given) if isinstance(given, (tuple, list)) else (given,)


def challenge(rng=None):
    """Returns {name: array}: for each task, images in [0, 1] ('x:TASK')
    and codes ('z:TASK', positive where the task's codes are relu
    outputs), drawn from rng (a fresh one from the system's entropy)."""
    rng = rng or np.random.default_rng()
    drawn = {}
    for task in tasks.TASKS:
        drawn['x:' + task] = rng.random(
            (CHALLENGE_SIZE,) + input_shape(task), dtype=np.float32)
        z = rng.standard_normal((CHALLENGE_SIZE,) + latent_shape(task),
                                dtype=np.float32)
        drawn['z:' + task] = z if task == '3-variational' else np.abs(z)
        drawn['seeds:' + task] = rng.integers(0, 2 ** 62, 2,
                                              dtype=np.int64)
        if task != '2-convolutional':
            # a variant of the runner's 'variants' check, of sizes drawn
            # now: input_dims, hidden layers narrowing, latent_dims
            hidden = sorted(rng.integers(8, 257, rng.integers(1, 4)),
                            reverse=True)
            latent = rng.integers(2, 9 if task == '3-variational' else 33)
            drawn['variant:' + task] = np.array(
                [rng.integers(16, 785)] + hidden + [latent], dtype=np.int64)
    return drawn


def reported(frame, name, allows=None):
    """Returns the runner's outputs of a model called name, in order, as
    float32 (the engines' own precision), each checked before any
    conversion: an array of numbers of a shape allows(number, shape)
    allows (by default, of at most LARGEST_VALUE numbers), at most
    MOST_OUTPUTS of them, of at most FORWARD_LIMIT numbers in all."""
    found, number, total = [], 0, 0
    while '{}:{}'.format(name, number) in frame:
        array = frame['{}:{}'.format(name, number)]
        if not isinstance(array, np.ndarray) or array.dtype.kind not in \
                NUMBERS:
            raise Unverified('{}: its outputs are not numbers'.format(name))
        if number >= MOST_OUTPUTS or not (allows or fits())(number,
                                                            array.shape):
            raise Unverified('{}: its output {} on the grader\'s inputs has '
                             'shape {}, not one its layers give'.format(
                                 name, number, array.shape))
        total += array.size
        if total > FORWARD_LIMIT:
            raise Unverified('{}: outputs of more than {} numbers in all, '
                             'beyond what the grader reads'.format(
                                 name, FORWARD_LIMIT))
        found.append(array.astype(np.float32, copy=False))
        number += 1
    return found


def fits(found=(), largest=LARGEST_VALUE, rows=None, like=False):
    """Returns what reported() allows an output: where the judge computed
    the value itself (found[number]), its shape, or with like, its shape
    but for the number of rows; else at most largest numbers (in rows
    rows, where given)."""
    def allows(number, shape):
        """Whether an output number of shape is allowed."""
        if number < len(found) and found[number] is not None:
            if not like:
                return shape == found[number].shape
            return len(shape) == found[number].ndim and shape[1:] == \
                found[number].shape[1:] and 1 <= shape[0] <= MOST_DRAWS
        return len(shape) >= 1 and (rows is None or shape[0] == rows) and \
            math.prod(shape) <= largest
    return allows


def weighed(models, arrays):
    """Checks, before any is converted, that every weight the models'
    descriptions name is an array of numbers the report holds, and that
    all together they are within WEIGHTS_LIMIT."""
    total = 0
    for name, model in models:
        for weight, layer, index, number in weight_names(model):
            array = arrays.get(weight)
            if not isinstance(array, np.ndarray) or array.dtype.kind not in \
                    NUMBERS:
                raise Unverified('{}: its weight {} is not reported as an '
                                 'array of numbers'.format(spec.where(
                                     name, index, layer), number))
            total += array.size
    if total > WEIGHTS_LIMIT:
        raise Unverified('the models\' weights hold {} numbers, beyond what '
                         'the grader recomputes ({})'.format(total,
                                                             WEIGHTS_LIMIT))


def number_or_none(value):
    """Returns a number a report gives as a float (NaN and the infinities
    kept), or None for anything else."""
    if type(value) not in (int, float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


# the three models autoencoder() returns, as the report names them
MODELS = ('encoder', 'decoder', 'auto')


def verify(task, frame, drawn):
    """Checks the runner's evidence of the main's models against the
    judge's own computation (one verification at a time in this process);
    returns the facts the verdicts use: {'models': descriptions, 'roles',
    'outputs', 'chained'}; raises Unverified, saying what does not
    hold."""
    with LOCK:
        return verified(task, frame, drawn)


def verified(task, frame, drawn):
    """verify(), without the lock."""
    header = frame['header']
    if header.get('error'):
        raise Unverified('the models could not be described: {}'.format(
            text(header['error'])))
    models = [header.get(name) for name in MODELS]
    if not all(isinstance(model, dict) and isinstance(
            model.get('layers'), list) for model in models):
        raise Unverified('no description of the models')
    for name, model in zip(MODELS, models):
        malformed(model, name)
    weighed(list(zip(MODELS, models))[:2], frame)
    x = drawn['x:' + task].astype(np.float64)
    z = drawn['z:' + task].astype(np.float64)
    encoder, decoder, _ = models
    mine = forward(encoder, [x], frame, 'encoder')
    largest = max([x.size] + [value.size for value in mine
                              if value is not None])
    allowed = fits(mine, largest, CHALLENGE_SIZE)
    theirs, again = reported(frame, 'encoder', allowed), reported(
        frame, 'encoder_again', allowed)
    if len(mine) != len(theirs) or len(again) != len(theirs):
        raise Unverified('the encoder gives {} outputs, its description '
                         '{}'.format(len(theirs), len(mine)))
    unknown = [n for n, value in enumerate(mine) if value is None]
    if unknown and task == '3-variational' and len(mine) != 3:
        raise Misbuilt(
            'the encoder{} returns {} output{} where the specification\'s '
            'returns three: z, the mean and the log variance ({} is not one '
            'the grader recomputes, so it must come beside the mean and the '
            'log variance it is drawn from)'.format(
                spec.site(encoder), len(mine), 's' if len(mine) > 1 else '',
                not_recomputed(encoder, 'encoder')),
            'encoder = keras.Model(inputs, [z, mean, log_var]), and auto = '
            'keras.Model(inputs, decoder(encoder(inputs)[0]))')
    if unknown and (task != '3-variational' or len(unknown) > 1):
        beyond(task, encoder, 'encoder')
    for number, value in enumerate(mine):
        if value is not None and not (close(value, theirs[number]) and
                                      close(value, again[number])):
            raise Unverified('the encoder\'s output {} on the grader\'s '
                             'images is not what its layers and weights '
                             'give'.format(number))
        if value is None and theirs[number].shape != again[number].shape:
            raise Unverified('the encoder\'s output {} changes shape'
                             .format(number))
    decoded = forward(decoder, [z], frame, 'decoder')
    if len(decoded) != 1 or decoded[0] is None:
        beyond(task, decoder, 'decoder')
    largest = max([largest, z.size] + [value.size for value in decoded])
    given = reported(frame, 'decoder', fits(decoded, largest,
                                            CHALLENGE_SIZE))
    if len(given) != 1 or not close(decoded[0], given[0]):
        raise Unverified('the decoder\'s output on the grader\'s codes is '
                         'not what its layers and weights give')
    degenerate(encoder, frame, 'encoder')
    degenerate(decoder, frame, 'decoder')
    seeds = [int(seed) for seed in drawn['seeds:' + task]]
    check_gradients(encoder, [x], seeds[0], frame, 'encoder', mine)
    check_gradients(decoder, [z], seeds[1], frame, 'decoder', decoded)
    facts = {'models': models, 'roles': None, 'x': x, 'code': mine,
             'auto': reported(frame, 'auto', fits((), largest,
                                                  CHALLENGE_SIZE)),
             'loss': number_or_none(header.get('loss')),
             'draws': reported(frame, 'draws', fits(theirs, 0, like=True)),
             'frame': frame,
             'optimizer': header.get('optimizer'),
             'loss_function': header.get('loss_function'), 'moving': []}
    if task == '3-variational' and len(mine) == 3:
        moving = [n for n in range(3) if theirs[n].shape != again[n].shape
                  or not np.allclose(theirs[n], again[n])]
        facts['moving'] = moving
        if len(moving) == 1:
            rest = [n for n in range(3) if n != moving[0]]
            facts['roles'] = {'z': moving[0], 'mean': rest[0],
                              'log_var': rest[1]}
        else:
            facts['roles'] = dict(zip(spec.ROLES, range(3)))
        if any(mine[facts['roles'][role]] is None
               for role in ('mean', 'log_var')):
            raise Unverified('the encoder\'s mean and log variance must '
                             'come from layers the grader recomputes')
    elif len(mine) == 1 and mine[0] is not None:
        facts['chained'] = forward(decoder, [mine[0]], frame, 'decoder')[0]
    return facts


def degenerate(model, arrays, name):
    """Raises Unverified where a Dense or Conv2D kernel holds one value
    only (all zeros, say): a model the grader cannot tell from a made-up
    one, and one that cannot learn."""
    for weight, layer, index, number in weight_names(model):
        kernel = arrays.get(weight)
        if number == 0 and isinstance(kernel, np.ndarray) and \
                kernel.size > 1 and kernel.dtype.kind in NUMBERS and \
                any(k in layer['kinds'] for k in ('Dense', 'Conv2D',
                                                  'Conv2DTranspose')) and \
                float(np.max(kernel)) == float(np.min(kernel)):
            raise Unverified('{}: every weight of its kernel is {:g}; give '
                             'its layers Keras\'s default initializers'
                             .format(spec.where(name, index, layer),
                                     float(kernel.flat[0])))


def check_gradients(model, given, seed, frame, name, mine, epsilon=1e-6):
    """Checks the gradients the runner reported against finite differences
    of the judge's own forward pass, along a direction the judge draws
    now: for each output the judge recomputes, the derivative of its sum
    with the seed's projection; raises Unverified where one does not
    hold. The weights are weighed() first."""
    names = [weight for weight, _, _, _ in weight_names(model)]
    arrays = {weight: np.asarray(frame[weight], np.float64)
              for weight in names}
    rng = np.random.default_rng()
    direction = {weight: rng.standard_normal(arrays[weight].shape) * (
        float(np.std(arrays[weight])) + 1e-2) for weight in names}

    def moved(step):
        """The weights moved by step along the direction."""
        return dict(frame, **{weight: arrays[weight] + step *
                              direction[weight] for weight in names})
    plus = forward(model, given, moved(epsilon), name)
    minus = forward(model, given, moved(-epsilon), name)
    for number, value in enumerate(mine):
        if value is None:
            continue
        weights = protocol.projection(seed, number, value.shape).astype(
            np.float64)
        differences = float(np.sum((plus[number] - minus[number]) *
                                   weights)) / (2 * epsilon)
        terms = []
        for weight in names:
            key = 'grad:{}:{}:{}'.format(name, number, weight)
            gradient = frame.get(key)
            if not isinstance(gradient, np.ndarray) or \
                    gradient.dtype.kind not in NUMBERS or \
                    gradient.shape != arrays[weight].shape:
                raise Unverified('{}: no gradient of its output {} for '
                                 'each weight'.format(name, number))
            terms.append(float(np.sum(gradient.astype(np.float64) *
                                      direction[weight])))
        derivative = sum(terms)
        scale = sum(abs(term) for term in terms)
        # float32 engines (oneDNN on some hosts) give gradients within a
        # few tenths of a percent of float64 finite differences; a model
        # other than the reported one is off by its whole size
        if not abs(derivative - differences) <= 5e-2 * abs(differences) + \
                1e-2 * scale + 1e-9:
            raise Unverified('{}: the gradients reported are not its '
                             'layers\' ({:.6g} against {:.6g} along the '
                             'grader\'s direction)'.format(
                                 name, derivative, differences))


def structure(task, facts):
    """The judge's own structure verdict: the specification's sentences
    on the verified descriptions, and auto as decoder(encoder(x))."""
    problems = spec.merged(spec.STRUCTURE[task](
        facts['models'], *tasks.MAIN_ARGS[task][:3], roles=facts['roles']))
    if problems or task == '3-variational':
        return '; '.join(problems) or None
    chained, auto = facts.get('chained'), facts['auto']
    if chained is None or len(auto) != 1 or auto[0].shape != chained.shape:
        return 'auto(x) is not decoder(encoder(x)): auto must be the ' \
            'decoder applied to the encoder\'s output'
    if not np.allclose(auto[0], chained, atol=ATOL):
        return 'auto(x) differs from decoder(encoder(x)) by up to {:.3g}: ' \
            'auto must be the decoder applied to the encoder\'s ' \
            'output'.format(float(np.max(np.abs(auto[0] - chained))))
    return None


def unnamed_structure(task, frame, decided):
    """The structure verdict where builds failed on a layer the grader
    does not recompute: the differences the descriptions show (the
    unnamed layer among them), or a skip where they show none."""
    try:
        models = [frame['header'].get(name) for name in MODELS]
        for name, model in zip(MODELS, models):
            malformed(model, name)
        problems = checked(spec.STRUCTURE[task], models,
                           *tasks.MAIN_ARGS[task][:3])
    except Unverified:
        problems = []
    if not problems:
        return static.result('structure', 'skip', 'skipped: waits on '
                             'builds, which failed')
    decided['builds'] = dict(decided['builds'], message=decided['builds'][
        'message'] + ' (see structure below)')
    return static.result('structure', 'fail', '; '.join(spec.merged(
        problems)))


def seeded_value(task, lines):
    """The numbers the main printed: a note only where the learner can act
    on them, a number that is not finite. Other numbers than this
    project's are no fault (equivalent models print others when their
    weights are drawn in another order), and say nothing."""
    yours = [token for line in lines for token in line.replace(
        '[', ' ').replace(']', ' ').split()
        if token.lower().strip(',') in ('nan', '-nan', 'inf', '-inf')]
    if yours:
        return ('note', 'the main printed {} where this project\'s {}.py '
                'prints finite numbers with the same seed, data and one '
                'epoch'.format(', '.join(sorted(set(yours))), task),
                'a NaN or an infinity comes from a loss that overflows: a '
                'sigmoid output, a log variance, a scale exp(log_var / 2)')
    return None


def claims(task, frames):
    """Returns {check: result} of the runner's well-formed claims (the
    first one of each check) and the models' frame."""
    found, models = {}, None
    for frame in frames:
        header = frame['header']
        kind = header.get('kind')
        if kind == 'check' and header.get('check') in \
                tasks.engine_checks(task) and header.get('verdict') in \
                VERDICTS and header['check'] not in found:
            found[header['check']] = static.result(
                header['check'], header['verdict'],
                text(header.get('message')), text(header.get('hint')))
        elif kind == 'models' and models is None:
            models = frame
    return found, models


def outcome_result(check, outcome):
    """Returns a result from a check function's outcome (None: pass; a
    string: fail; (verdict, message, hint))."""
    if outcome is None:
        return static.result(check, 'pass')
    if isinstance(outcome, str):
        return static.result(check, 'fail', outcome)
    return static.result(check, *outcome)


def evidence_of(frames, kind):
    """Returns the first frame of kind the runner's checks process sent,
    or None."""
    for frame in frames:
        if frame['header'].get('kind') == kind:
            return frame
    return None


def observed(read):
    """Returns what the judge itself read of a job's processes: {phase:
    what it printed}, {phase: its exit status}, and the frames."""
    read = read if isinstance(read, dict) else {}
    printed = read.get('printed') or {}
    return ({phase: printed.get(phase, '') for phase in PHASES},
            read.get('ended') or {}, read.get('frames') or [])


PHASES = ('import', 'checks', 'main')


def import_outcome(found, printed, ended, frames, problem):
    """The judge's imports_cleanly verdict: the import process ended well
    having imported the file, and printed nothing."""
    claim = found.get('imports_cleanly')
    if claim and claim['verdict'] == 'fail':
        return claim
    status = ended.get('import')
    if status is None:
        return static.result('imports_cleanly', 'fail', problem or
                             'the import did not end')
    if status != 0 or evidence_of(frames, 'imported') is None:
        return static.result(
            'imports_cleanly', 'fail', 'importing the file ended the '
            'process (status {}) before the import finished: something in '
            'the file ends it (os._exit, sys.exit, a signal)'.format(status))
    if printed['import'].strip():
        return static.result(
            'imports_cleanly', 'fail', 'prints while importing: {}; '
            'importing a task file must print nothing'.format(
                first_printed(printed['import'])))
    return static.result('imports_cleanly', 'pass')


def quiet_outcome(task, printed):
    """The judge's quiet verdict: what the checks process printed on
    stdout, beyond what the import printed, is nothing, and the main
    printed no more lines than the specification's main prints (a file
    that prints only where the main does not run still prints)."""
    building = printed['checks']
    if building.startswith(printed['import']):
        building = building[len(printed['import']):]
    if building.strip():
        return 'prints while building: {}; autoencoder() must print ' \
            'nothing (the checker compares what the main prints)'.format(
                first_printed(building))
    lines = main_lines(printed['main'])
    if len(lines) > spec.MAIN_LINES[task]:
        return 'the main printed {} lines where the specification\'s ' \
            'main prints {}: what the file prints shows there; ' \
            'autoencoder() must print nothing'.format(
                len(lines), spec.MAIN_LINES[task])
    return None


def main_outcome(task, found, printed, ended, problem):
    """The judge's main_output verdict: the main ended well, and what it
    printed on stdout (read by the judge) is what the specification's
    main prints."""
    claim = found.get('main_output')
    if claim and claim['verdict'] == 'fail':
        return claim
    status = ended.get('main')
    if status is None:
        return static.result('main_output', 'fail', problem or
                             'the main did not end')
    if status != 0:
        return static.result('main_output', 'fail', 'the main ended with '
                             'status {}'.format(status))
    return outcome_result('main_output', spec.main_format(
        task, main_lines(printed['main'])))


def printed_by(results, task, prints):
    """Returns results with what the learner's processes printed said to
    come from what prints in the learner's file (prints: static.prints(),
    [(line, function, what)]), where there is any: quiet's output while
    the models were built and used, and main_output's lines beyond the
    main's."""
    if not prints:
        return results
    where = ', '.join('{} at {}.py:{} in {}'.format(what, task, line,
                                                    function)
                      for line, function, what in prints[:3])
    building = all(function == 'autoencoder' for _, function, _ in prints)

    def told(result):
        """The result, its message naming the prints."""
        message = result['message']
        if result['verdict'] != 'fail':
            return result
        if result['check'] == 'quiet' and message.startswith(
                'prints while building: '):
            if building:
                return dict(result, message=message + ' ({})'.format(
                    where))
            return dict(result, message='prints while the models are built '
                        'and used: {}, from {}; the checker compares what '
                        'the main prints, so the file must print '
                        'nothing'.format(message[len(
                            'prints while building: '):].split(
                                '; autoencoder() must')[0], where))
        if result['check'] == 'main_output' and message.startswith(
                'the main printed') and not building:
            # (not what autoencoder() printed, as the remark that it
            # follows from quiet says: the prints named instead)
            return dict(result, message=message.split(
                ' (this follows from the quiet failure above')[0] +
                ' (the main\'s other lines come from {}: leave them '
                'out)'.format(where))
        return result
    return [told(result) for result in results]


# the checks the judge decides from its own measures once the models are
# verified (the runner's failure, where it reports one, names the cause)
MEASURED = {
    'compiled': lambda task, facts, frames, decided: compiled_problem(
        task, facts, decided['structure']['verdict'] == 'pass'),
    'regularizer': lambda task, facts, frames, decided: regularizer_outcome(
        task, facts),
    'vae_outputs': lambda task, facts, frames, decided: vae_outputs_problem(
        facts),
    'vae_loss': lambda task, facts, frames, decided: vae_loss_problem(
        facts, (evidence_of(frames, 'vae_loss') or {}).get('header')),
    'variants': lambda task, facts, frames, decided: None,
    'trains': lambda task, facts, frames, decided: trains_problem(
        task, facts, evidence_of(frames, 'trained')),
}


def measured(task, check, claim, facts, frames, drawn, decided):
    """Returns the result of a check the judge measures: a failure the
    runner reports stands (it names the cause); a pass or a note needs
    the judge's own measure to hold."""
    if claim['verdict'] in ('fail', 'skip'):
        return claim
    try:
        outcome = checked(MEASURED[check], task, facts, frames, decided)
        if outcome is None and check == 'variants':
            outcome = checked(variants_veto, task, frames, drawn)
    except Unverified as error:
        outcome = 'the grader could not check it: {}'.format(error)
    if outcome is None:
        return claim
    if isinstance(outcome, tuple) and outcome[0] == 'note':
        return static.result(check, *outcome)
    return outcome_result(check, outcome)


def same_errors(decided):
    """Says, of a failure whose error is one an earlier check failed
    with (the main's crash, which its own process reports), that it is
    the same error."""
    seen = {}
    for check, result in decided.items():
        message = result['message']
        if result['verdict'] != 'fail' or not message.startswith('raised'):
            continue
        error = message.split(' (at ')[0]
        if error in seen and 'same error as' not in message:
            decided[check] = dict(result, message=message + ' (the same '
                                  'error as {} above)'.format(seen[error]),
                                  hint='')
        seen.setdefault(error, check)


def verdicts(task, read, drawn, problem=None):
    """Returns task's engine checks in order, each decided by the judge:
    read is what the judge read of the job's processes (their frames,
    what each printed, how each ended: checker.engines.run_jobs), drawn the
    challenge, problem what happened to the runner if it stopped during
    the job."""
    printed, ended, frames = observed(read)
    found, models = claims(task, frames)
    broken = read.get('broken') if isinstance(read, dict) else None
    if broken and problem in (None, ENDED):
        # a process of the job sent what is not a report: what it sent
        # after was never read
        problem = 'the runner sent something that is not a report ({}); ' \
            'nothing after it was read'.format(text(broken[0]))
    decided, missing = {}, None
    facts = unnamed = None
    for check in tasks.engine_checks(task):
        needed = tasks.NEEDS.get(check, 'builds')
        if check == 'structure' and unnamed is not None:
            # a layer the grader does not recompute: the structure's
            # whole difference, read from the descriptions alone, fails
            # (it never passes on what the grader could not verify)
            decided[check] = unnamed_structure(task, unnamed, decided)
            continue
        if missing is not None:
            decided[check] = static.result(check, 'skip', 'skipped: waits '
                                           'on {}, which failed'.format(
                                               missing))
            continue
        if needed and decided[needed]['verdict'] not in ('pass', 'note'):
            decided[check] = static.result(
                check, 'skip', 'skipped: waits on {}, which {}'.format(
                    needed, 'failed' if decided[needed]['verdict'] == 'fail'
                    else 'was skipped'))
            continue
        if check == 'imports_cleanly':
            decided[check] = import_outcome(found, printed, ended, frames,
                                            problem)
            if decided[check]['verdict'] == 'fail' and 'builds' not in \
                    found:
                # the file did not import where the models are built:
                # nothing after it ran
                missing = check
        elif check == 'seeded_value':
            decided[check] = outcome_result(check, seeded_value(
                task, main_lines(printed['main'])))
        elif check == 'main_output':
            decided[check] = main_outcome(task, found, printed, ended,
                                          problem)
        elif check == 'quiet':
            decided[check] = outcome_result(
                check, quiet_outcome(task, printed))
        elif check not in found:
            missing = check
            decided[check] = static.result(check, 'fail', problem or
                                           'the check did not report')
        elif check == 'builds' and found[check]['verdict'] == 'pass':
            try:
                if models is None:
                    raise Unverified(problem or 'the runner sent no '
                                     'evidence of its models')
                facts = checked(verify, task, models, drawn)
                decided[check] = found[check]
            except Misbuilt as error:
                decided[check] = static.result(check, 'fail', str(error),
                                               error.hint)
                if isinstance(error, Unnamed):
                    unnamed = models
            except Unverified as error:
                decided[check] = static.result(
                    check, 'fail', 'the models could not be checked: {}'
                    .format(error), 'the grader recomputes the models\' '
                    'outputs from their layers and weights; build them '
                    'from the layers the specification names')
        elif check == 'builds':
            decided[check] = found[check]
        elif check == 'structure':
            try:
                outcome = checked(structure, task, facts)
            except Unverified as error:
                outcome = str(error)
            decided[check] = outcome_result(check, outcome)
        elif check in MEASURED:
            decided[check] = measured(task, check, found[check], facts,
                                      frames, drawn, decided)
        else:
            decided[check] = static.result(
                check, 'fail', 'the grader has no measure of its own for '
                'this check')
    same_errors(decided)
    # failures that follow from one above say so: a structure failure
    # causes the fit's and the main's only where the models take or give
    # shapes other than the specification's (the main's fit x -> x, its
    # unpacking of the encoder's outputs)
    try:
        # (a Model subclass of the learner's has no shapes of its own:
        # they tell nothing of what its fit does)
        reshaped = facts is not None and bool(checked(
            spec.check_shapes, {name: model for name, model in zip(
                MODELS, facts['models'])
                if not spec.subclassed(model)},
            spec.interface(task, *tasks.MAIN_ARGS[task][:3])))
    except Unverified:
        reshaped = False
    for cause, checks, why in (('structure', ('trains', 'main_output') if
                                reshaped else (), ''),
                               ('vae_outputs', ('trains',), ''),
                               ('quiet', ('main_output',), ': what '
                                'autoencoder() prints comes first')):
        if decided.get(cause, {}).get('verdict') == 'fail':
            for check in checks:
                # (a crash is its own error, which says where it was
                # raised: it follows from vae_outputs only where the
                # models fitted do not learn)
                if decided.get(check, {}).get('verdict') == 'fail' and not (
                        cause == 'vae_outputs' and decided[check][
                            'message'].startswith('raised')):
                    decided[check] = dict(decided[check], message=decided[
                        check]['message'] + ' (this follows from the {} '
                        'failure above{})'.format(cause, why))
    return [decided[check] for check in tasks.engine_checks(task)]
