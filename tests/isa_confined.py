#!/usr/bin/env python3
"""The AVX2 code of the SIMD lanes stays in the functions compiled for it.

host/simd/lanes_avx2.cpp is compiled with -mavx2. If a scalar scaleham
function (an inline or template function shared with baseline code) were
instantiated there out of line, the linker could keep that AVX2 copy for every
caller and the binary would fault on an x86-64 without AVX2. This check
disassembles the binary and fails if any function of namespace scaleham uses a
ymm/zmm register but is not one of the AVX2 lane functions (whose names carry
"avx2").

    python3 tests/isa_confined.py build/cpu/host/scaleham
"""
import re
import subprocess
import sys


def main() -> int:
    binary = sys.argv[1]
    out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary],
                         check=True, capture_output=True, text=True).stdout
    header = re.compile(r"^[0-9a-f]+ <(.*)>:$")
    current, offenders, lane_functions = None, set(), 0
    for line in out.splitlines():
        m = header.match(line)
        if m:
            current = m.group(1)
            continue
        if current and ("%ymm" in line or "%zmm" in line):
            if "avx2" in current:
                lane_functions += 1
            elif "scaleham::" in current:
                offenders.add(current)
    if lane_functions == 0:
        print(f"{binary}: no AVX2 lane code found: is host/simd/lanes_avx2.cpp linked?")
        return 1
    for name in sorted(offenders):
        print(f"AVX2 outside the lanes: {name}")
    print(f"{binary}: {len(offenders)} scaleham function(s) with ymm/zmm registers outside the AVX2 lanes")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
