"""Web chat (Gradio) for the RAG pipeline: ``ui.app.build_app`` and ``ui.app.serve``.

Analytics are switched off here, before any ui module imports Gradio, because Gradio reads the
variable at import and call time: the product runs offline and must never try to phone home.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
