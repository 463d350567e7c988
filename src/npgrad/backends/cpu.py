"""``torch.backends.cpu``: the vector instruction set the CPU offers."""
import platform

__all__ = ["get_cpu_capability"]


def get_cpu_capability() -> str:
    """``"AVX512"``, ``"AVX2"``, ``"VSX"``, ``"Z VECTOR"``, ``"SVE256"`` or ``"DEFAULT"``, read from the
    CPU features NumPy detected (the kernels NumPy and Numba use)."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    machine = platform.machine().lower()
    if machine.startswith(("ppc64", "powerpc")):
        return "VSX" if features.get("VSX") else "DEFAULT"
    if machine.startswith("s390"):
        return "Z VECTOR" if features.get("VX") else "DEFAULT"
    if machine in ("aarch64", "arm64"):
        return "SVE256" if features.get("SVE") else "DEFAULT"
    if all(features.get(f) for f in ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")):
        return "AVX512"
    if features.get("AVX2") and features.get("FMA3"):
        return "AVX2"
    return "DEFAULT"
