"""The whole difference between a model's layers and the specification's,
told at once: the two lists aligned (the fewest layers missing, extra or
of another kind, then the fewest settings that differ), and one problem
for each difference, naming the learner's layer and the line of the file
that made it. checker.spec gives the specification's layers as slots
(slot()); nothing here imports Keras.

A learner who mends one difference then meets no other on the next run
that this one did not already name."""

# the kinds a layer is aligned by, the most particular first (on Keras 2
# a Conv2DTranspose is a Conv2D too)
KINDS = ('Conv2DTranspose', 'Conv2D', 'MaxPooling2D', 'UpSampling2D',
         'Dense')
# what the alignment pays: a layer missing or extra, a layer of another
# kind in a slot's place, and each setting that differs in a layer of the
# slot's kind (less than a layer missing and one extra, so a layer of the
# right kind with a wrong setting is told as that, not as two layers)
GAP, SWAP, SETTING, MOST_SETTINGS = 1.0, 1.5, 0.25, 0.9
# kinds that stand in another's place, which the alignment pairs with it
# more readily than with a layer of no kinship (a transposed convolution
# does a convolution's and an upsampling's work)
AKIN = {('Conv2DTranspose', 'Conv2D'): 1.2}


def kind_of(layer):
    """Returns the kind a layer is aligned by: its Keras class among KINDS
    (the most particular one), else its own class."""
    for name in KINDS:
        if name in layer['kinds']:
            return name
    return layer['class']


def slot(kind, label, differences, count=None, counted=None):
    """One layer of the specification's: its kind, how a message names it
    ('UpSampling2D((2, 2))'), differences(layer) -> [(setting, what)] of
    a layer of that kind, and where the layer has a count (units,
    filters) the count it should have and counted(layer) -> the one it
    has."""
    return {'kind': kind, 'label': label, 'differences': differences,
            'count': count, 'counted': counted}


def site(layer):
    """Returns ' at FILE:LINE' where the learner's file made layer, or
    ''."""
    return ' at ' + layer['site'] if layer.get('site') else ''


def where(name, index, layer):
    """Returns 'decoder layer 3 (Conv2D at 2-convolutional.py:25)'."""
    return '{} layer {} ({}{})'.format(name, index, layer['class'],
                                       site(layer))


def aligned(found, slots):
    """Returns the cheapest alignment of the layers found with the slots:
    a list of (layer index or None, slot index or None), in order."""
    rows, columns = len(found), len(slots)
    costs = [[0.0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        costs[i][0] = i * GAP
    for j in range(1, columns + 1):
        costs[0][j] = j * GAP

    def pair(i, j):
        """What pairing layer i with slot j costs."""
        if kind_of(found[i]) != slots[j]['kind']:
            return AKIN.get((kind_of(found[i]), slots[j]['kind']), SWAP)
        return min(SETTING * len(slots[j]['differences'](found[i])),
                   MOST_SETTINGS)
    for i in range(1, rows + 1):
        for j in range(1, columns + 1):
            costs[i][j] = min(costs[i - 1][j - 1] + pair(i - 1, j - 1),
                              costs[i - 1][j] + GAP, costs[i][j - 1] + GAP)
    # back from the end, a gap before a pair where both cost the same: an
    # extra or missing block is told as late as it may be, which puts its
    # first layer where a block of the specification's begins (a loop's
    # extra Conv2D and UpSampling2D, not an UpSampling2D and a Conv2D)
    steps, i, j = [], rows, columns
    while i or j:
        if i and costs[i][j] == costs[i - 1][j] + GAP:
            steps.append((i - 1, None))
            i -= 1
        elif j and costs[i][j] == costs[i][j - 1] + GAP:
            steps.append((None, j - 1))
            j -= 1
        else:
            steps.append((i - 1, j - 1))
            i, j = i - 1, j - 1
    return steps[::-1]


def runs(steps, side):
    """Returns {position of its first step: [step, ...]} of each run of
    consecutive steps that have nothing on the other side (side 0: extra
    layers, 1: missing slots)."""
    groups, current = {}, []
    for position, step in enumerate(steps + [(0, 0)]):
        if step[side] is not None and step[1 - side] is None:
            current.append(step)
        elif current:
            groups[position - len(current)] = current
            current = []
    return groups


def difference(name, found, slots, whole, sequence):
    """Returns every difference between a model's layers (found) and the
    specification's (slots), as problems: layers of another kind, extra
    and missing layers, each setting that differs; counts (units,
    filters) that differ in two layers or more as one problem for the
    sequence (sequence(counts, wanted, sites) -> its text). whole: how
    the specification's model is told ('a Conv2D and a MaxPooling2D for
    each of the 3 filters [16, 8, 8]')."""
    steps = aligned(found, slots)
    matched = [(i, j) for i, j in steps if i is not None and j is not None
               and kind_of(found[i]) == slots[j]['kind']]
    counted = [(i, j) for i, j in matched if slots[j]['count'] is not None]
    wrong = [(i, j) for i, j in counted
             if slots[j]['counted'](found[i]) != slots[j]['count']]
    told_whole = len(wrong) >= 2
    problems, placed = [], False
    extras, missing = runs(steps, 0), runs(steps, 1)
    for position, (i, j) in enumerate(steps):
        if i is not None and j is not None:
            layer = found[i]
            if kind_of(layer) == slots[j]['kind']:
                problems += ['{}: {}'.format(where(name, i + 1, layer), what)
                             for setting, what in slots[j]['differences'](
                                 layer)
                             if not (told_whole and setting == 'count')]
                continue
            label = slots[j]['label']
            after = missing.get(position + 1)
            if (kind_of(layer), slots[j]['kind']) in AKIN and after and \
                    slots[after[0][1]]['kind'] == 'UpSampling2D':
                # a transposed convolution in place of a convolution and
                # the upsampling after it: told as one difference
                label += ' then ' + slots[after.pop(0)[1]]['label']
            problems.append('{}: {} where the specification\'s {} has '
                            '{}'.format(where(name, i + 1, layer),
                                        layer['class'], name, label))
        elif position in extras:
            group = [found[k] for k, _ in extras[position]]
            problems.append('{} layer{} {} ({}{}): {} the specification\'s '
                            '{} does not have'.format(
                                name, 's' if len(group) > 1 else '',
                                ', '.join(str(k + 1) for k, _ in
                                          extras[position]),
                                ', '.join(layer['class'] for layer in
                                          group),
                                sites(group),
                                'layers' if len(group) > 1 else 'a layer',
                                name))
        elif missing.get(position):
            group = missing[position]
            before = [k for k, _ in steps[:position] if k is not None]
            problems.append('{}: no {} {}'.format(
                name, ', '.join(slots[s]['label'] for _, s in group),
                'after ' + where(name, before[-1] + 1, found[
                    before[-1]]).split(' ', 1)[1] if before else
                'before its first layer' if found else 'at all'))
        else:
            continue
        placed = True
    if placed:
        # what the specification's model is, once, after its differences
        problems.append('the specification\'s {}: {}'.format(name, whole))
    if told_whole:
        problems.insert(0, sequence(
            [slots[j]['counted'](found[i]) for i, j in counted],
            [slots[j]['count'] for i, j in counted],
            sites([found[i] for i, _ in wrong])))
    return problems


def sites(layers):
    """Returns ' at FILE:LINE, LINE' for the lines that made layers (each
    once, in order), or ''."""
    seen = []
    for layer in layers:
        if layer.get('site') and layer['site'] not in seen:
            seen.append(layer['site'])
    if not seen:
        return ''
    files = {found.rsplit(':', 1)[0] for found in seen}
    if len(files) == 1:
        return ' at {}:{}'.format(files.pop(), ', '.join(
            found.rsplit(':', 1)[1] for found in seen))
    return ' at ' + ', '.join(seen)
