"""pytest plugin (``-p tools.autograd_suite.plugin``): installs the gpugrad-backed ``autograd``
package before autograd's tests are collected. ``run.py`` puts the repository on
``PYTHONPATH`` and loads it."""

from tools.autograd_suite.adapter import install

install()
