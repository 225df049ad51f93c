"""The subcloud fleet simulator behind ``dcmanager-subcloud-sim``.

Serves N simulated subclouds, each on its own loopback address with the ports and paths of a real
StarlingX subcloud (a Keystone-v3-compatible identity API and the audit agent with its rehome entry
point), plus a control API that injects faults and reports counters. It exists so that the manager,
the audit and their tests and benchmarks can talk to thousands of "subclouds" over real sockets on
one machine.

Pure asyncio and the standard library; inside the package it may import only ``dcmanager.common``
and ``dcmanager.conf`` (HACKING.rst, "Layering"), and it only ever binds to 127.0.0.0/8. How to run
and drive it: the "Subcloud simulator" section of the project's ``README.md``.
"""
