"""Devices in the loop: et-run on a board or phone over ssh or adb (or locally),
with the same flags, JSON and Python API as on the host.

Layers, each knowing only the one below:
  transport.py (+ ssh.py, adb.py)  four verbs: exec, put_file, fetch_file, close
  device.py                        content-addressed cache, runner choice, et-run's files, results back
  runner.py                        DeviceRunner: etkit.Runner's API on a device
  fleet.py                         several devices in parallel, one table
"""

from .device import Device, RemoteRun
from .runner import DeviceRunner
from .transport import Completed, LocalTransport, Transport, open_transport

__all__ = ["Completed", "Device", "DeviceRunner", "LocalTransport", "RemoteRun", "Transport", "open_transport"]
