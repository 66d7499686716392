"""pytest plugin (``-p plugin``) that installs the gpugrad-backed ``autograd`` package before
autograd's tests are collected. ``run.py`` puts this folder on ``PYTHONPATH`` and loads it."""

from adapter import install

install()
