"""`dnn export MODEL.npz MODEL.onnx`: a trained model as ONNX, for any runtime (needs the `onnx` extra)."""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ._common import ModelFile, boundary, out

NAME = "export"


@boundary
def command(
    model: ModelFile,
    onnx_file: Annotated[Path, typer.Argument(metavar="MODEL.onnx", help="The ONNX file to write.")],
) -> None:
    """Export a model as ONNX: encoding, standardisation, layers, activations, labels; samples as rows."""
    from ..export_onnx import export_onnx, require_onnx
    from ..io.atomic import check_writable
    from ..io.modelfile import load_model

    if onnx_file.suffix.lower() != ".onnx":
        raise UsageError(f"{onnx_file}: expected a .onnx file name")
    require_onnx()  # the install hint before any work
    check_writable(onnx_file, "ONNX model")
    written = export_onnx(load_model(model), onnx_file)
    check = (f"onnxruntime matches dnn predict on {written['probes']} probe inputs (rtol {written['tolerance']:g})"
             if written["verified"]
             else "not run: onnxruntime is not installed (pip install onnxruntime)")
    console = out()
    console.print(f"wrote {written['path']}: ONNX opset {written['opset']}, {written['nodes']} nodes, "
                  f"{written['bytes']:,} bytes", markup=False)
    inputs = written["inputs"]
    console.print(f"  {'input ' if len(inputs) == 1 else 'inputs'}  {', '.join(inputs)}  (samples as rows)",
                  markup=False)
    console.print(f"  outputs {', '.join(written['outputs'])}", markup=False)
    console.print(f"  check   {check}", markup=False)
