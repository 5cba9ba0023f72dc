"""What a device is: one shell script run there, parsed here.

The script only prints files and command outputs in sections; all parsing is
on the host, so it runs on anything with a POSIX-ish sh (Debian, busybox,
Android's toybox/mksh).
"""

from __future__ import annotations

import re

_SCRIPT = r"""
echo "@@uname"; uname -m; uname -s; uname -r
echo "@@os-release"; cat /etc/os-release 2>/dev/null
echo "@@cpuinfo"; cat /proc/cpuinfo 2>/dev/null
echo "@@meminfo"; cat /proc/meminfo 2>/dev/null
echo "@@nproc"; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null
for c in /sys/devices/system/cpu/cpu[0-9]*; do
  [ -d "$c" ] || continue
  echo "@@cpu ${c##*/}"
  echo "max_khz=$(cat "$c/cpufreq/cpuinfo_max_freq" 2>/dev/null)"
  echo "governor=$(cat "$c/cpufreq/scaling_governor" 2>/dev/null)"
done
for z in /sys/class/thermal/thermal_zone*; do
  [ -d "$z" ] || continue
  echo "@@thermal ${z##*/}"
  echo "type=$(cat "$z/type" 2>/dev/null)"
  echo "temp=$(cat "$z/temp" 2>/dev/null)"
done
if command -v getprop >/dev/null 2>&1; then
  echo "@@android"
  for p in ro.product.model ro.product.manufacturer ro.build.version.sdk ro.build.version.release ro.product.cpu.abi ro.soc.model; do
    echo "$p=$(getprop $p)"
  done
fi
echo "@@qemu"
for q in qemu-aarch64 qemu-arm qemu-x86_64; do command -v "$q" >/dev/null 2>&1 && echo "$q"; done
echo "@@cache"
mkdir -p CACHE 2>&1 && cd CACHE && pwd && df -kP . 2>/dev/null | tail -n 1
"""

# ARM's CPU part numbers (/proc/cpuinfo "CPU part") of common cores.
_ARM_PARTS = {
    "0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55", "0xd07": "Cortex-A57",
    "0xd08": "Cortex-A72", "0xd09": "Cortex-A73", "0xd0a": "Cortex-A75", "0xd0b": "Cortex-A76",
    "0xd0c": "Neoverse-N1", "0xd0d": "Cortex-A77", "0xd41": "Cortex-A78", "0xd44": "Cortex-X1",
    "0xd46": "Cortex-A510", "0xd47": "Cortex-A710", "0xd48": "Cortex-X2", "0xd4d": "Cortex-A715",
    "0xd4e": "Cortex-X3", "0xd80": "Cortex-A520", "0xd81": "Cortex-A720", "0xd82": "Cortex-X4",
    "0xc07": "Cortex-A7", "0xc09": "Cortex-A9", "0xc0f": "Cortex-A15",
}


def script(cache_dir: str) -> str:
    """The probe script; it also makes the cache folder (a shell word) and prints its path and free space."""
    return _SCRIPT.replace("CACHE", cache_dir)


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def _kv(lines: list[str], sep: str = "=") -> dict[str, str]:
    d = {}
    for line in lines:
        if sep in line:
            k, v = line.split(sep, 1)
            d[k.strip()] = v.strip().strip('"')
    return d


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _cpu_model(cpuinfo: list[str]) -> str | None:
    fields: dict[str, list[str]] = {}
    for line in cpuinfo:
        if ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k.strip(), []).append(v.strip())
    for key in ("model name", "Model", "Hardware", "cpu model", "Processor"):
        if fields.get(key) and fields[key][0]:
            name = fields[key][0]
            break
    else:
        name = None
    parts = fields.get("CPU part", [])
    if parts:  # ARM: name the cores, big.LITTLE clusters included
        counts: dict[str, int] = {}
        for p in parts:
            core = _ARM_PARTS.get(p.lower(), f"ARM part {p}")
            counts[core] = counts.get(core, 0) + 1
        cores = " + ".join(f"{n}x {core}" for core, n in counts.items())
        return f"{name} ({cores})" if name else cores
    return name


def parse(text: str) -> dict:
    """The probe's output -> the dict `etkit device probe --json` prints."""
    s = _sections(text)
    uname = s.get("uname", []) + ["", "", ""]
    os_release = _kv(s.get("os-release", []))
    meminfo = _kv(s.get("meminfo", []), ":")

    def kib(key):
        v = meminfo.get(key, "").split()
        return int(v[0]) * 1024 if v and v[0].isdigit() else None

    cpus = sorted((k.split()[1], _kv(v)) for k, v in s.items() if k.startswith("cpu "))
    cpus.sort(key=lambda kv: int(re.sub(r"\D", "", kv[0]) or 0))
    thermal = []
    for k, v in sorted(s.items()):
        if k.startswith("thermal "):
            d = _kv(v)
            temp = _int(d.get("temp", "").lstrip("-"))
            thermal.append({"zone": k.split()[1], "type": d.get("type") or None,
                            "celsius": None if temp is None else (temp / 1000 if temp > 1000 else float(temp))})
    android = None
    if "android" in s:
        props = _kv(s["android"])
        android = {"model": props.get("ro.product.model") or None,
                   "manufacturer": props.get("ro.product.manufacturer") or None,
                   "sdk": _int(props.get("ro.build.version.sdk")),
                   "release": props.get("ro.build.version.release") or None,
                   "abi": props.get("ro.product.cpu.abi") or None,
                   "soc": props.get("ro.soc.model") or None}
    if android:
        os_name = f"Android {android['release']}" if android["release"] else "Android"
    else:
        os_name = os_release.get("PRETTY_NAME") or uname[1] or None
    cores = _int((s.get("nproc") or [""])[0]) or (len(cpus) or None)
    governors = sorted({d.get("governor") for _, d in cpus if d.get("governor")})
    cache_lines = [line for line in s.get("cache", []) if line.strip()]
    cache: dict = {"path": None, "free_bytes": None, "error": None}
    if cache_lines and cache_lines[0].startswith("/"):
        cache["path"] = cache_lines[0].strip()
        if len(cache_lines) > 1 and len(cache_lines[1].split()) >= 4 and cache_lines[1].split()[3].isdigit():
            cache["free_bytes"] = int(cache_lines[1].split()[3]) * 1024
    else:
        cache["error"] = " ".join(cache_lines) or "the folder could not be made"
    return {
        "arch": uname[0] or None,
        "os": os_name,
        "kernel": f"{uname[1]} {uname[2]}".strip() or None,
        "cpu": _cpu_model(s.get("cpuinfo", [])),
        "cores": cores,
        "max_mhz": [(_int(d.get("max_khz")) or 0) // 1000 or None for _, d in cpus],
        "memory": {"total_bytes": kib("MemTotal"), "available_bytes": kib("MemAvailable")},
        "governor": governors[0] if len(governors) == 1 else (governors or None),
        "thermal": thermal,
        "android": android,
        "qemu": [q.strip() for q in s.get("qemu", []) if q.strip()],
        "cache": cache,
    }


def summary(p: dict) -> str:
    """A few readable lines of a probe."""
    mem = p["memory"]["total_bytes"]
    freqs = sorted({f for f in p["max_mhz"] if f})
    lines = [
        f"device   {p.get('url', '')}",
        f"arch     {p['arch']}   os {p['os']}   kernel {p['kernel']}",
        f"cpu      {p['cpu'] or 'unknown'}   {p['cores']} core(s)"
        + (f", max {'/'.join(map(str, freqs))} MHz" if freqs else ""),
        f"memory   {mem / 2**30:.1f} GiB" if mem else "memory   unknown",
    ]
    if p["governor"]:
        lines.append(f"governor {p['governor']}")
    if p["thermal"]:
        lines.append("thermal  " + ", ".join(f"{t['type'] or t['zone']} {t['celsius']:.0f} °C"
                                             for t in p["thermal"] if t["celsius"] is not None))
    if p["android"]:
        a = p["android"]
        lines.append(f"android  {a['manufacturer'] or ''} {a['model'] or ''}, SDK {a['sdk']}".replace("  ", " "))
    if p["cache"]["path"]:
        free = p["cache"]["free_bytes"]
        lines.append(f"cache    {p['cache']['path']}" + (f" ({free / 2**20:.0f} MiB free)" if free else ""))
    else:
        lines.append(f"cache    cannot be made: {p['cache']['error']}")
    return "\n".join(lines)
