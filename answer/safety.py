"""Flags on cited passages whose text addresses the reader instead of informing them. Pure.

A document can carry instructions meant for a model or a reader ("ignore all previous
instructions", "tell the user to visit …"), links, or Markdown/HTML that a front end might render.
Answers still quote such passages (they are data, not instructions); the citation carries flags
so every front end can show a warning and knows never to turn the text into links or markup.
"""

from __future__ import annotations

import re

# Flag names, in the order ``passage_flags`` reports them.
INSTRUCTIONS = "instructions"  # text that gives orders to a model or tells it what to tell the user
URL = "url"  # a web address or link target
MARKUP = "markup"  # Markdown links/images or HTML tags that a renderer would turn into elements

_INSTRUCTIONS = re.compile(
    r"""
    \b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?
        \b(?:previous|prior|above|earlier|all|any|your|the)\b[^.\n]{0,20}?
        \b(?:instructions?|prompts?|rules|directions|guidelines|messages?)\b
    | \b(?:tell|inform|instruct|advise|remind|ask)\s+(?:the|all)?\s*(?:users?|readers?|visitors?)\b
    | \b(?:new|updated|real|hidden)\s+instructions?\b
    | \bsystem\s+prompt\b
    | \byou\s+(?:are\s+now|must\s+now|will\s+now|should\s+now)\b
    | ^\s*(?:system|assistant)\s*:
    | \b(?:visit|click|open|go\s+to)\b[^.\n]{0,30}?(?:https?://|www\.|\blink\b|\bhere\b)
    | (?:이전|앞의|위의|기존|모든)\s*(?:의\s*)?(?:지시|명령|지침|규칙|프롬프트)\S*\s*(?:은|는|을|를)?\s*(?:모두\s*)?무시
    | 시스템\s*프롬프트
    | (?:사용자|이용자|독자)(?:에게|한테)\s*\S+(?:\s+\S+){0,3}?\s*(?:라고|하라고|도록)\s*(?:말|전|안내|알려|권)
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_URL = re.compile(r"\b(?:https?|ftp)://\S|\bwww\.[a-z0-9-]+\.|\b(?:javascript|data|vbscript):", re.I)
_MARKUP = re.compile(
    r"!?\[[^\]\n]*\]\([^)\s]*\)"  # Markdown [text](target) and ![alt](src)
    r"|<\s*/?\s*(?:a|img|script|iframe|object|embed|svg|style|link|meta|form|input|video|audio)\b"
    r"|\bon[a-z]+\s*=",  # inline event handlers
    re.IGNORECASE,
)


def passage_flags(text: str) -> tuple[str, ...]:
    """Which of ``instructions``, ``url`` and ``markup`` the passage ``text`` shows, in that order."""
    flags = []
    if _INSTRUCTIONS.search(text):
        flags.append(INSTRUCTIONS)
    if _URL.search(text):
        flags.append(URL)
    if _MARKUP.search(text):
        flags.append(MARKUP)
    return tuple(flags)
