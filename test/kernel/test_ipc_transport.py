"""The kernel speaks jupyter_client's ipc transport as well as tcp: Unix socket files named
`<ip>-<port>` instead of TCP ports. The classroom's servers use it, so 16 kernels starting at once
cannot lose a port chosen for them to another process before they bind it (issue 18: one did,
"Address already in use", and its server's websocket never recovered from the restart)."""
import os
import pathlib
import stat
import tempfile

from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, ROOT, execute

PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def test_a_kernel_on_the_ipc_transport_runs_cells_and_widgets_and_leaves_no_socket_files():
    # a short folder: a Unix socket's path is limited to about 107 bytes
    with tempfile.TemporaryDirectory(prefix="cl-ipc-") as folder:
        km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(folder, "kernel"))
        km.start_kernel(cwd=str(ROOT / "notebooks"))
        kc = km.client()
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            info = km.get_connection_info()
            assert info["transport"] == "ipc"
            for name in PORTS:
                path = pathlib.Path(f"{info['ip']}-{info[name]}")
                assert path.exists() and stat.S_ISSOCK(path.stat().st_mode), f"{name}: no socket file {path}"
            reply, outputs = execute(kc, "6 * 7")
            assert reply["status"] == "ok", reply
            assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["42"]
            # a widget: comm_open and display_data with binary buffers travel over the same sockets
            reply, outputs = execute(kc, 'import { shapesCnn, filters, showFilters } from "convlens";\nawait showFilters(filters(await shapesCnn(), 0));')
            assert reply["status"] == "ok", reply
            opens = [m for m in outputs if m["msg_type"] == "comm_open"]
            assert len(opens) == 1 and opens[0]["buffers"], [m["msg_type"] for m in outputs]
            assert kc.is_alive()
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        assert not any(pathlib.Path(folder).iterdir()), sorted(os.listdir(folder))
