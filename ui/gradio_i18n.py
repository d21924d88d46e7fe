"""Gradio's own interface strings ("Drop File Here", "Copy message", toasts) in Azerbaijani, and the
script that switches Gradio's locale with ours.

Gradio ships English and Russian but no Azerbaijani; ``gr.I18n`` adds a locale to its frontend
dictionary, and Gradio's ``changeLocale`` switches it at run time (otherwise it follows only the
browser's language). Keys are Gradio's own (gradio/templates/frontend, lang/en.json).
"""

from __future__ import annotations

import json
from typing import Any, cast

import gradio as gr

from ui.i18n import LABELS, UI_LANGS

AZ_BUILTINS: dict[str, dict[str, str]] = {
    "upload_text": {
        "click_to_upload": "Yükləmək üçün klikləyin",
        "drop_file": "Faylı bura atın",
        "drop_audio": "Səs faylını bura atın",
        "drop_image": "Şəkli bura atın",
        "drop_video": "Videonu bura atın",
        "drop_csv": "CSV faylını bura atın",
        "drop_gallery": "Faylları bura atın",
        "paste_clipboard": "Buferdən yapışdırın",
    },
    "chatbot": {"copy_message": "Mesajı kopyala", "copied_message": "Mesaj kopyalandı", "clear": "Təmizlə",
                "retry": "Yenidən", "undo": "Geri al", "edit": "Redaktə et", "submit": "Göndər",
                "cancel": "Ləğv et"},
    "chat_interface": {"conversation": "Söhbət", "chatbot": "Söhbət", "new_chat": "Yeni söhbət"},
    "common": {"clear": "Təmizlə", "download": "Yüklə", "edit": "Redaktə et", "empty": "Boş", "error": "Xəta",
               "loading": "Yüklənir", "or": "və ya", "remove": "Sil", "settings": "Parametrlər",
               "language": "Dil", "submit": "Göndər", "undo": "Geri al", "built_with_gradio": "Gradio ilə qurulub",
               "built_with": "qurulub", "progress": "Gedişat", "run": "İşə sal"},
    "file": {"uploading": "Yüklənir..."},
    "status": {"queue_position": "Növbədə: {position} / {size}"},
    "dropdown": {"dropdown": "Siyahı"},
    "blocks": {"lost_connection": "Səhifədən çıxıldığı üçün əlaqə kəsildi. Növbəyə qayıdılır...",
               "waiting_for_inputs": "Faylların yüklənməsi gözlənilir, yenidən cəhd edin."},
    "errors": {"use_via_api": "API ilə istifadə", "use_via_api_or_mcp": "API və ya MCP ilə istifadə"},
}


def gradio_i18n() -> gr.I18n:
    # Gradio types the tables flat, but its frontend merges nested ones (its own lang/*.json are nested).
    return gr.I18n(az=cast(Any, AZ_BUILTINS))


# Runs on page load: picks the interface language (remembered, else the browser's, else English),
# and exposes window.__ragSetLocale, which also switches Gradio's own strings. Gradio's locale
# switch is found through the already-loaded core module (same URL -> same module instance).
def language_js() -> str:
    confirm = json.dumps({lang: LABELS["confirm_remove"][lang] for lang in UI_LANGS}, ensure_ascii=False)
    titles = json.dumps({lang: LABELS["title"][lang] for lang in UI_LANGS}, ensure_ascii=False)
    return r"""
() => {
  const known = __KNOWN__;
  window.__ragConfirm = __CONFIRM__;
  const titles = __TITLES__;
  window.__ragSetLocale = async (lang) => {
    try { localStorage.setItem('rag-ui-lang', lang); } catch (e) {}
    document.documentElement.setAttribute('lang', lang);
    if (titles[lang]) document.title = titles[lang];
    try {
      const url = performance.getEntriesByType('resource').map((e) => e.name)
        .find((n) => /\/core-[\w-]+\.js$/.test(n));
      if (url) { const core = await import(url); if (core.changeLocale) core.changeLocale(lang); }
    } catch (e) { /* Gradio's strings stay in the browser's language */ }
  };
  let lang = null;
  try { lang = localStorage.getItem('rag-ui-lang'); } catch (e) {}
  if (!known.includes(lang)) {
    const nav = (navigator.languages || [navigator.language || 'en']).map((l) => String(l).slice(0, 2));
    lang = nav.find((l) => known.includes(l)) || 'en';
  }
  window.__ragSetLocale(lang);
  return lang;
}
""".replace("__KNOWN__", json.dumps(list(UI_LANGS))).replace("__CONFIRM__", confirm).replace("__TITLES__", titles)


# Before a removal: ask in the interface language; a refusal sends a marker the handler ignores.
CONFIRM_REMOVE_JS = r"""
(source, lang) => {
  if (!source) return [source, lang];
  const text = ((window.__ragConfirm || {})[lang] || 'Remove {source}?').replace('{source}', source);
  return window.confirm(text) ? [source, lang] : ['\u0000cancelled', lang];
}
"""
CANCELLED = "\u0000cancelled"
