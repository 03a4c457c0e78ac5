/// The console's style sheet: system fonts, light and dark schemes, no external resources.
enum ConsoleStyle {
    static let source = #"""
:root {
  --bg: #f5f6f8; --panel: #ffffff; --panel-2: #f0f2f5; --text: #17202b; --muted: #5b6675;
  --line: #dde2e8; --accent: #2557d6; --accent-text: #ffffff; --ok: #16794a; --warn: #a35a00;
  --bad: #b42318; --live: #0b7a75; --chip: #e8edf6; --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --panel: #171d24; --panel-2: #1d252e; --text: #e6edf3; --muted: #9aa7b4;
    --line: #2a333d; --accent: #6b9bff; --accent-text: #0b1220; --ok: #4cc38a; --warn: #f0a847;
    --bad: #ff7b72; --live: #39c5bb; --chip: #233044; --shadow: none;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--panel); padding: 6px 10px; z-index: 10; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }

header.top { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 10px 20px;
  background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 5; }
.brand { display: flex; align-items: center; gap: 8px; font-weight: 650; font-size: 16px; white-space: nowrap; }
.brand img { width: 22px; height: 22px; }
nav.tabs { display: flex; gap: 4px; }
nav.tabs a { padding: 6px 10px; border-radius: 6px; text-decoration: none; color: var(--muted); font-weight: 550; }
nav.tabs a[aria-current="page"] { background: var(--chip); color: var(--text); }
.spacer { flex: 1; }
.pill { display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px; border-radius: 999px; background: var(--chip);
  font-size: 12px; font-weight: 600; white-space: nowrap; }
.pill .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.pill.live .dot { background: var(--ok); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent); }
.pill.down .dot { background: var(--bad); }
.endpoint { color: var(--muted); font-size: 12px; }

.clock { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.clock output { font-family: var(--mono); font-variant-numeric: tabular-nums; min-width: 7ch; text-align: right; }

main { padding: 16px 20px 40px; max-width: 1500px; margin: 0 auto; }
.grid { display: grid; grid-template-columns: minmax(0, 1.55fr) minmax(340px, 1fr); gap: 16px; align-items: start; }
@media (max-width: 1000px) { .grid { grid-template-columns: 1fr; } }
.stack { display: grid; gap: 16px; }
section.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; box-shadow: var(--shadow); overflow: hidden; }
.card > h2, .card > header { margin: 0; padding: 10px 14px; font-size: 13px; font-weight: 650; letter-spacing: .02em;
  text-transform: uppercase; color: var(--muted); border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: 8px; }
.card > header h2 { margin: 0; font-size: inherit; }
.card > header .hint { text-transform: none; letter-spacing: normal; font-weight: 400; }
.card .body { padding: 12px 14px; }
.count { background: var(--chip); color: var(--text); border-radius: 999px; padding: 0 7px; font-size: 11px; }
.empty { color: var(--muted); padding: 14px; font-style: italic; }

table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11.5px; color: var(--muted); font-weight: 600; background: var(--panel-2); position: sticky; top: 0; }
tbody tr:last-child td { border-bottom: 0; }
tr.clickable { cursor: pointer; }
tr.clickable:hover, tr.clickable:focus-within { background: var(--panel-2); }
tr.fresh { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: color-mix(in srgb, var(--accent) 22%, transparent); } to { background: transparent; } }
@media (prefers-reduced-motion: reduce) { tr.fresh { animation: none; } }
.scroll { max-height: 340px; overflow: auto; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }

.state { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 650; background: var(--chip); }
.state.created, .state.ringing, .state.queued, .state.initiated { color: var(--warn); }
.state.answered, .state.connected, .state.delivered, .state.received, .state.sent { color: var(--ok); }
.state.ending, .state.ended { color: var(--muted); }
.state.failed, .state.undelivered, .state.refused, .state.busy, .state.noAnswer, .state.error { color: var(--bad); }
.kind { display: inline-block; min-width: 64px; font-size: 11px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.warn { color: var(--warn); font-weight: 600; }

.feed { list-style: none; margin: 0; padding: 0; max-height: 300px; overflow: auto; font-family: var(--mono); font-size: 12px; }
.feed li { padding: 3px 14px; border-bottom: 1px dashed var(--line); white-space: pre-wrap; word-break: break-word; }
.feed li.warning { color: var(--warn); }
.feed time { color: var(--muted); margin-right: 6px; }

form { margin: 0; }
.row { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; margin-bottom: 8px; }
.row > label { display: grid; gap: 3px; flex: 1 1 120px; font-size: 12px; color: var(--muted); font-weight: 600; }
input, select, textarea { font: inherit; color: var(--text); background: var(--panel-2); border: 1px solid var(--line);
  border-radius: 7px; padding: 6px 8px; min-width: 0; }
textarea { font-family: var(--mono); font-size: 12.5px; }
button { font: inherit; font-weight: 600; border-radius: 7px; padding: 6px 12px; border: 1px solid var(--line);
  background: var(--panel-2); color: var(--text); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.danger { color: var(--bad); }
button:disabled { opacity: .5; cursor: not-allowed; }
.phone-call { border: 1px solid var(--line); border-radius: 10px; padding: 10px; background: var(--panel-2); margin: 6px 0 12px; }
.phone-call[hidden] { display: none; }
.phone-status { display: flex; align-items: center; gap: 8px; margin-bottom: 8px; font-weight: 600; }
.keypad { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; margin: 8px 0; max-width: 260px; }
.keypad button { padding: 9px 0; font-size: 16px; font-family: var(--mono); }
.hear { list-style: none; margin: 6px 0 0; padding: 0; max-height: 180px; overflow: auto; font-size: 13px; }
.hear li { padding: 4px 0; border-bottom: 1px dashed var(--line); }
.hear li b { color: var(--live); font-weight: 650; margin-right: 4px; }
details.sub { border-top: 1px solid var(--line); }
details.sub > summary { padding: 10px 14px; cursor: pointer; font-weight: 650; color: var(--muted); font-size: 13px; }
details.sub > .body { padding-top: 0; }
.hint { color: var(--muted); font-size: 12px; margin: 4px 0 10px; }
.error-text { color: var(--bad); font-size: 12.5px; min-height: 1em; margin: 2px 0 0; }

.call-head { display: flex; flex-wrap: wrap; gap: 10px 20px; align-items: center; padding: 12px 14px; }
.call-head h1 { font-size: 18px; margin: 0; }
.facts { display: flex; gap: 18px; flex-wrap: wrap; color: var(--muted); font-size: 13px; }
.facts b { color: var(--text); font-weight: 600; }
.frames { max-height: 460px; overflow: auto; }
.frames details { border-bottom: 1px solid var(--line); }
.frames summary { padding: 5px 14px; cursor: pointer; font-family: var(--mono); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.frames pre { margin: 0; padding: 8px 14px 12px; font-size: 12px; overflow: auto; background: var(--panel-2); }
.dir-in { color: var(--live); } .dir-out { color: var(--accent); }
audio { width: 100%; max-width: 420px; height: 36px; }
dialog { border: 1px solid var(--line); border-radius: 10px; background: var(--panel); color: var(--text); padding: 18px; max-width: 420px; }
dialog::backdrop { background: rgba(0,0,0,.45); }
.back { text-decoration: none; font-weight: 600; }
.flat { margin: 0; padding: 0; }
.empty.flat { padding: 0; }
.sub-h { margin: 10px 0 0; font-size: 12px; font-weight: 650; }
.gap-top { margin-top: 16px; }
.scroll.tall { max-height: 560px; }
"""#
}
