"""Every interface string in the three languages, in one table.

Kept in one dict (not scattered through the layout code) so a translator can review a language in one
place and a test can check that no language is missing a key. Document text, model answers and error
details from the pipeline are never translated here: they are shown as they are.
"""

from __future__ import annotations

from typing import Final

from rag.present import PHRASES

UI_LANGS: Final = ("en", "az", "ru")
DEFAULT_UI_LANG: Final = "en"

# The language picker shows each language in its own name, whatever the current interface language.
LANG_CHOICES: Final = [("English", "en"), ("Azərbaycanca", "az"), ("Русский", "ru")]

LABELS: Final[dict[str, dict[str, str]]] = {
    "title": {
        "en": "Ask your documents",
        "az": "Sənədlərinizdən soruşun",
        "ru": "Спросите свои документы",
    },
    "intro": {
        "en": "Answers come only from the indexed documents, with numbered citations. "
              "Click a citation [n] to see the passage it comes from.",
        "az": "Cavablar yalnız indeksdəki sənədlərdən, nömrələnmiş istinadlarla verilir. "
              "Mənbə parçasını görmək üçün [n] istinadına klikləyin.",
        "ru": "Ответы берутся только из проиндексированных документов, с пронумерованными ссылками. "
              "Нажмите на ссылку [n], чтобы увидеть исходный фрагмент.",
    },
    "ui_lang": {"en": "Interface language", "az": "İnterfeys dili", "ru": "Язык интерфейса"},
    "tab_chat": {"en": "Chat", "az": "Söhbət", "ru": "Чат"},
    "tab_docs": {"en": "Documents", "az": "Sənədlər", "ru": "Документы"},
    "chat": {"en": "Conversation", "az": "Söhbət", "ru": "Диалог"},
    "question": {"en": "Your question", "az": "Sualınız", "ru": "Ваш вопрос"},
    "question_ph": {
        "en": "Ask in English, Azerbaijani or Russian…",
        "az": "Azərbaycan, rus və ya ingilis dilində soruşun…",
        "ru": "Спросите по-русски, по-азербайджански или по-английски…",
    },
    "ask": {"en": "Ask", "az": "Soruş", "ru": "Спросить"},
    "new_chat": {"en": "New chat", "az": "Yeni söhbət", "ru": "Новый чат"},
    "examples": {"en": "Examples", "az": "Nümunələr", "ru": "Примеры"},
    "source": {"en": "Source", "az": "Mənbə", "ru": "Источник"},
    "source_hint": {
        "en": "Click a citation such as [1] in an answer to see the passage it comes from.",
        "az": "Cavabdakı [1] kimi istinada klikləyin: mənbə parçası burada görünəcək.",
        "ru": "Нажмите на ссылку вида [1] в ответе, чтобы увидеть исходный фрагмент.",
    },
    "source_gone": {
        "en": "This citation belongs to a conversation that was cleared.",
        "az": "Bu istinad silinmiş söhbətə aiddir.",
        "ru": "Эта ссылка относится к очищенному диалогу.",
    },
    "file": {"en": "File", "az": "Fayl", "ru": "Файл"},
    "doc_title": {"en": "Title", "az": "Başlıq", "ru": "Заголовок"},
    "date": {"en": "Date", "az": "Tarix", "ru": "Дата"},
    "language": {"en": "Language", "az": "Dil", "ru": "Язык"},
    "verified": {"en": "supported by the passage", "az": "parça ilə təsdiqlənir",
                 "ru": "подтверждается фрагментом"},
    "unverified": {"en": "support not confirmed", "az": "təsdiq olunmayıb", "ru": "не подтверждено"},
    "no_highlight": {
        "en": "(the exact supporting words could not be located in this passage)",
        "az": "(dəstəkləyən sözlər bu parçada dəqiq tapılmadı)",
        "ru": "(точный подтверждающий фрагмент в этом отрывке не найден)",
    },
    "passages": {"en": "Retrieved passages", "az": "Tapılmış parçalar", "ru": "Найденные фрагменты"},
    "passages_none": {"en": "Ask a question to see what was retrieved.",
                      "az": "Nə tapıldığını görmək üçün sual verin.",
                      "ru": "Задайте вопрос, чтобы увидеть найденные фрагменты."},
    "rewritten": {"en": "Search query (follow-up rewritten)", "az": "Axtarış sorğusu (davam sualı yenidən yazılıb)",
                  "ru": "Поисковый запрос (уточняющий вопрос переписан)"},
    "score": {"en": "Score", "az": "Bal", "ru": "Оценка"},
    "given_to_model": {"en": "in the top k offered to the model", "az": "modelə təqdim olunan ilk k parçadadır",
                       "ru": "в первых k, предложенных модели"},
    "timings": {"en": "Timings", "az": "Vaxt", "ru": "Время"},
    "model_used": {"en": "Model", "az": "Model", "ru": "Модель"},
    "notes": {"en": "Notes", "az": "Qeydlər", "ru": "Примечания"},
    "settings": {"en": "Settings", "az": "Parametrlər", "ru": "Настройки"},
    "model": {"en": "Model", "az": "Model", "ru": "Модель"},
    "model_fast": {"en": "Fast (0.5B)", "az": "Sürətli (0.5B)", "ru": "Быстрая (0.5B)"},
    "model_default": {"en": "Default (1.5B, better answers)", "az": "Standart (1.5B, daha yaxşı cavablar)",
                      "ru": "Стандартная (1.5B, ответы лучше)"},
    "top_k": {"en": "Passages given to the model", "az": "Modelə verilən parçaların sayı",
              "ru": "Сколько фрагментов передать модели"},
    "answer_lang": {"en": "Answer language", "az": "Cavab dili", "ru": "Язык ответа"},
    "lang_auto": {"en": "Same as the question", "az": "Sualın dili", "ru": "Как в вопросе"},
    "lang_az": {"en": "Azerbaijani", "az": "Azərbaycanca", "ru": "Азербайджанский"},
    "lang_ru": {"en": "Russian", "az": "Rusca", "ru": "Русский"},
    "lang_en": {"en": "English", "az": "İngiliscə", "ru": "Английский"},
    "upload": {"en": "Add documents (.txt .md .html .htm .pdf .docx, up to {mb} MB each)",
               "az": "Sənəd əlavə edin (.txt .md .html .htm .pdf .docx, hər biri {mb} MB-dək)",
               "ru": "Добавить документы (.txt .md .html .htm .pdf .docx, до {mb} МБ каждый)"},
    "status": {"en": "Status", "az": "Vəziyyət", "ru": "Состояние"},
    "indexed": {"en": "Indexed documents", "az": "İndeksdəki sənədlər", "ru": "Проиндексированные документы"},
    "doc_count": {"en": "{n} documents", "az": "{n} sənəd", "ru": "Документов: {n}"},
    "no_docs": {"en": "No documents are indexed yet.", "az": "Hələ heç bir sənəd indeksdə yoxdur.",
                "ru": "Пока нет проиндексированных документов."},
    "remove_pick": {"en": "Document to remove", "az": "Silinəcək sənəd", "ru": "Документ для удаления"},
    "remove": {"en": "Remove from index", "az": "İndeksdən sil", "ru": "Удалить из индекса"},
    "removed": {"en": "Removed {source}.", "az": "{source} silindi.", "ru": "{source} удалён."},
    "not_indexed": {"en": "{source} is not in the index.", "az": "{source} indeksdə yoxdur.",
                    "ru": "{source} нет в индексе."},
    "pick_first": {"en": "Choose a document first.", "az": "Əvvəlcə sənəd seçin.",
                   "ru": "Сначала выберите документ."},
    "indexing": {"en": "Indexing…", "az": "İndeksləşdirilir…", "ru": "Индексирование…"},
    "added": {"en": "Indexed: {names}", "az": "İndeksə əlavə olundu: {names}", "ru": "Проиндексировано: {names}"},
    "skipped": {"en": "Not indexed", "az": "İndeksə əlavə olunmadı", "ru": "Не проиндексировано"},
    "rejected_type": {"en": "unsupported file type {ext}", "az": "dəstəklənməyən fayl növü {ext}",
                      "ru": "неподдерживаемый тип файла {ext}"},
    "rejected_size": {"en": "too large ({size} MB > {mb} MB)", "az": "çox böyükdür ({size} MB > {mb} MB)",
                      "ru": "слишком большой ({size} МБ > {mb} МБ)"},
    "rejected_empty": {"en": "empty file", "az": "boş fayl", "ru": "пустой файл"},
    "no_files": {"en": "No files were given.", "az": "Fayl seçilməyib.", "ru": "Файлы не выбраны."},
    "error": {"en": "Error", "az": "Xəta", "ru": "Ошибка"},
    "fix": {"en": "How to fix", "az": "Necə düzəltmək olar", "ru": "Как исправить"},
    "internal_error": {
        "en": "Something went wrong on the server ({kind}). The details are in the server log.",
        "az": "Serverdə xəta baş verdi ({kind}). Təfərrüatlar server jurnalındadır.",
        "ru": "На сервере произошла ошибка ({kind}). Подробности в журнале сервера.",
    },
    "queue_wait": {
        "en": "Waiting for the model: you are number {n} in line, about {s} s.",
        "az": "Model gözlənilir: növbədə {n}-cisiniz, təxminən {s} san.",
        "ru": "Ожидание модели: вы {n}-й в очереди, примерно {s} с.",
    },
    "searching": {"en": "searching the documents…", "az": "sənədlərdə axtarılır…", "ru": "поиск в документах…"},
    "writing": {"en": "the model is reading the passages…", "az": "model parçaları oxuyur…",
                "ru": "модель читает фрагменты…"},
    "checking": {"en": "draft — checking sources…", "az": "qaralama — mənbələr yoxlanılır…",
                 "ru": "черновик — проверка источников…"},
    "closest": {"en": "Closest passages (click to open)", "az": "Ən yaxın parçalar (açmaq üçün klikləyin)",
                "ru": "Ближайшие фрагменты (нажмите, чтобы открыть)"},
    "closest_note": {"en": "a passage close to the question (it does not state the answer)",
                     "az": "suala yaxın parça (cavabı demir)",
                     "ru": "фрагмент, близкий к вопросу (ответа в нём нет)"},
    # The evidence heading, the refusal reasons and how an answer was made are the library's own words
    # (rag.present), so the terminal and the web chat say them in the same sentence.
    **{key: PHRASES[key] for key in ("evidence", "reason_none", "reason_not_fact")},
    **{key: PHRASES[key] for key in PHRASES if key.startswith("made_")},
    # Not rag.present's "withdrawn": the chat calls its provisional text "the draft" (see "checking").
    "withdrawn": {
        "en": "The draft was withdrawn: the passages do not support it.",
        "az": "Qaralama geri götürüldü: parçalar onu təsdiqləmir.",
        "ru": "Черновик отозван: фрагменты его не подтверждают.",
    },
    "confirm_remove": {
        "en": "Remove {source} from the index? Its uploaded copy is deleted too.",
        "az": "{source} indeksdən silinsin? Yüklənmiş nüsxəsi də silinəcək.",
        "ru": "Удалить {source} из индекса? Загруженная копия тоже будет удалена.",
    },
    "upload_indexed": {"en": "Indexed: {names} ({chunks} passages).",
                       "az": "İndeksə əlavə olundu: {names} ({chunks} parça).",
                       "ru": "Проиндексировано: {names} (фрагментов: {chunks})."},
    "upload_unchanged": {"en": "Already indexed, unchanged: {names}.",
                         "az": "Artıq indeksdədir, dəyişməyib: {names}.",
                         "ru": "Уже в индексе, без изменений: {names}."},
    "skip_corrupt": {"en": "the file is damaged or cannot be read", "az": "fayl zədələnib və ya oxunmur",
                     "ru": "файл повреждён или не читается"},
    "skip_encrypted": {"en": "the PDF is password-protected", "az": "PDF parolla qorunur", "ru": "PDF защищён паролем"},
    "skip_no_text": {"en": "no text could be read from it (a scan? run OCR first)",
                     "az": "ondan mətn oxunmadı (skan? əvvəlcə OCR edin)",
                     "ru": "из него не удалось извлечь текст (скан? сначала распознайте текст)"},
    "skip_binary": {"en": "it is not a text document", "az": "mətn sənədi deyil", "ru": "это не текстовый документ"},
    "skip_boilerplate": {"en": "nothing but page furniture (menus, footers) was found in it",
                         "az": "onda yalnız səhifə elementləri (menyu, alt hissə) var",
                         "ru": "в нём только служебные элементы страницы (меню, подвал)"},
    "skip_other": {"en": "it could not be indexed", "az": "indeksə əlavə oluna bilmədi",
                   "ru": "его не удалось проиндексировать"},
    "t_retrieve": {"en": "search", "az": "axtarış", "ru": "поиск"},
    "t_select": {"en": "sentence selection", "az": "cümlə seçimi", "ru": "выбор предложений"},
    "t_first_token": {"en": "first word", "az": "ilk söz", "ru": "первое слово"},
    "t_answer": {"en": "answer", "az": "cavab", "ru": "ответ"},
    "t_total": {"en": "total", "az": "cəmi", "ru": "всего"},
    "abstained": {"en": "no answer in the documents", "az": "sənədlərdə cavab yoxdur",
                  "ru": "ответа в документах нет"},
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The label in ``lang`` (English when the language or key is unknown: a missing translation
    must degrade to readable text, never to a KeyError in the middle of a request)."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_UI_LANG]
    return text.format(**fmt) if fmt else text
