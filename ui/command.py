"""The ``rag serve`` command, registered in pyproject.toml's ``rag_chat.commands`` entry points.

It lives here rather than in ``rag.cli`` so that the library never imports the web chat (Gradio).
"""

from __future__ import annotations

import argparse

from rag.settings import Settings


def serve_command(settings: Settings, args: argparse.Namespace) -> int:
    """Start the web chat with the flags parsed by ``rag.cli`` (``--host``, ``--port``, ``--no-warm-up``)."""
    from ui.app import serve

    serve(settings, host=args.host, port=args.port, warm=getattr(args, "warm_up", True))
    return 0
