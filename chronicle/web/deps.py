"""Typed dependencies, so each route's signature says what it needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chronicle.figures import Figures
from chronicle.register import Register


def _register(request: Request) -> Register:
    return request.app.state.register


def _figures(request: Request) -> Figures:
    return request.app.state.figures


def _settings(request: Request):
    return request.app.state.settings


RegisterDep = Annotated[Register, Depends(_register)]
FiguresDep = Annotated[Figures, Depends(_figures)]
SettingsDep = Annotated[object, Depends(_settings)]
