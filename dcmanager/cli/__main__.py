"""``python -m dcmanager.cli``: the ``dcmanager`` command."""

import sys

from dcmanager.cli import app

sys.exit(app.main())
