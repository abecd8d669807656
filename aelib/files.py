"""Files written whole: a reader sees the old file or the new one, never
part of it."""
import os
import tempfile


def write_atomically(path, text):
    """Writes text to path through a temporary file in the same folder,
    renamed over path: a reader sees the old file or the whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix='.tmp-')
    try:
        with os.fdopen(handle, 'w') as f:
            f.write(text)
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
