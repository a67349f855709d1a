"""Dashboard page: start a workflow (discover, optimize, basket, backtest) with a progress
bar, then show the report of the run it recorded."""

from equity_factors.dashboard.forms import WORKFLOWS, start
from equity_factors.dashboard.ui import context, progress_factory, render_document, st

s = st()
s.title("Run a workflow")
choice = s.selectbox("Workflow", list(WORKFLOWS), key="workflow")
form = WORKFLOWS[choice]
values = {}
for field in form.fields:
    if field.kind == "int":
        values[field.name] = s.number_input(field.label, value=int(field.default), step=1,
                                            key=f"{choice}-{field.name}")
    elif field.kind == "float":
        values[field.name] = s.number_input(field.label, value=float(field.default),
                                            key=f"{choice}-{field.name}")
    elif field.kind == "choice":
        values[field.name] = s.selectbox(field.label, field.choices,
                                         index=field.choices.index(field.default),
                                         key=f"{choice}-{field.name}")
    elif field.kind == "bool":
        values[field.name] = s.checkbox(field.label, value=bool(field.default),
                                        key=f"{choice}-{field.name}")
    else:
        values[field.name] = s.text_input(field.label, value=str(field.default or ""),
                                          key=f"{choice}-{field.name}")
if s.button(f"Start {choice}", key="start", type="primary"):
    bar = s.progress(0.0, text=f"starting {choice}")
    ctx = context(progress_factory(bar))
    try:
        result = start(ctx, choice, values)
    except ValueError as exc:  # a UserError/ParameterError: one line, as the CLI prints it
        bar.empty()
        s.error(str(exc))
    else:
        bar.progress(1.0, text=f"{choice} done")
        s.success(f"{choice} recorded run {result.run_id}: {result.summary}")
        render_document(result.document, key=result.run_id)
