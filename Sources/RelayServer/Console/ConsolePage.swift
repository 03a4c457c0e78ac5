/// The console's page and icon. Plain HTML; the script fills it from the lab API and keeps it
/// live from `GET /lab/events`.
enum ConsolePage {
    static let icon = #"""
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2557d6"/><path d="M10.5 7.5c1-.6 2.2-.3 2.8.7l1.6 2.7c.5.9.3 2-.5 2.6l-1.3 1c.9 1.9 2.4 3.5 4.3 4.4l1-1.3c.6-.8 1.7-1 2.6-.5l2.7 1.6c1 .6 1.3 1.8.7 2.8l-.9 1.5c-.7 1.2-2.1 1.8-3.4 1.4C13.9 22.8 9.2 18.1 7.6 11.9c-.3-1.3.2-2.7 1.4-3.4z" fill="#fff"/></svg>
"""#

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relay console</title>
<link rel="icon" href="/console/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/app.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="brand"><img src="/console/icon.svg" alt=""> Relay console</div>
  <nav class="tabs" aria-label="Views">
    <a href="#/" id="tab-activity">Activity</a>
    <a href="#/world" id="tab-world">World</a>
  </nav>
  <span id="live" class="pill down" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span id="live-text">connecting…</span></span>
  <span class="endpoint mono" id="endpoint" title="Point your consumer's SIGNALWIRE_HOST here"></span>
  <span class="spacer"></span>
  <section class="clock" aria-label="Simulated clock">
    <span class="pill" id="clock-mode">clock</span>
    <output id="clock-now" aria-label="Simulated seconds since start">0.0 s</output>
    <span id="clock-manual" hidden>
      <button type="button" id="clock-step" title="Advance to the next timer">Step</button>
      <button type="button" data-advance="1">+1 s</button>
      <button type="button" data-advance="10">+10 s</button>
      <button type="button" data-advance="60">+60 s</button>
    </span>
  </section>
</header>

<main id="main" tabindex="-1">
  <div id="view-activity" class="grid">
    <div class="stack">
      <section class="card" aria-labelledby="calls-h">
        <header><h2 id="calls-h">Calls</h2><span class="count" id="calls-count">0</span></header>
        <div class="scroll"><table aria-describedby="calls-h"><thead><tr><th>State</th><th>From → To</th><th>Context</th><th>Duration</th><th>Call</th></tr></thead>
        <tbody id="calls"></tbody></table><p class="empty" id="calls-empty">No calls yet. Dial one from the phone.</p></div>
      </section>
      <section class="card" aria-labelledby="activity-h">
        <header><h2 id="activity-h">Activity</h2><span class="hint flat">as <code>relay serve</code> prints it</span></header>
        <ol class="feed" id="feed" aria-live="polite" aria-relevant="additions"></ol>
      </section>
      <section class="card" aria-labelledby="sessions-h">
        <header><h2 id="sessions-h">Sessions</h2><span class="count" id="sessions-count">0</span></header>
        <div class="scroll"><table><thead><tr><th>Session</th><th>Project</th><th>Contexts</th><th>State</th><th>Agent</th></tr></thead>
        <tbody id="sessions"></tbody></table><p class="empty" id="sessions-empty">No consumer connected. Start yours with SIGNALWIRE_HOST set to the address above.</p></div>
      </section>
      <section class="card" aria-labelledby="messages-h">
        <header><h2 id="messages-h">Messages</h2><span class="count" id="messages-count">0</span></header>
        <div class="scroll"><table><thead><tr><th>State</th><th>Dir</th><th>From → To</th><th>Context</th><th>Body</th><th>Seg</th></tr></thead>
        <tbody id="messages"></tbody></table><p class="empty" id="messages-empty">No messages yet.</p></div>
      </section>
      <section class="card" aria-labelledby="tasks-h">
        <header><h2 id="tasks-h">Tasks</h2><span class="count" id="tasks-count">0</span></header>
        <div class="scroll"><table><thead><tr><th>Context</th><th>Delivered to</th><th>Message</th></tr></thead>
        <tbody id="tasks"></tbody></table><p class="empty" id="tasks-empty">No tasks yet.</p></div>
      </section>
    </div>

    <div class="stack">
      <section class="card" aria-labelledby="phone-h" id="phone">
        <header><h2 id="phone-h">Phone</h2><span class="hint flat">call your app as a caller would</span></header>
        <div class="body">
          <form id="dial-form">
            <div class="row">
              <label>From<input id="dial-from" value="+12015550199" autocomplete="off" required></label>
              <label>To<input id="dial-to" value="+12015550000" autocomplete="off"></label>
              <label>Context<input id="dial-context" list="contexts" value="office" autocomplete="off" placeholder="or routed by To"></label>
            </div>
            <button class="primary" type="submit" id="dial">Call</button>
            <p class="error-text" id="dial-error" role="alert"></p>
          </form>
          <div class="phone-call" id="phone-call" hidden>
            <div class="phone-status"><span class="state" id="phone-state">created</span><a href="#/" id="phone-link" class="mono"></a></div>
            <form id="keys-form" class="row">
              <label>Keys<input id="keys" inputmode="tel" autocomplete="off" placeholder="1234#" pattern="[0-9*#A-Da-d]{1,64}"></label>
              <button type="submit" id="send-keys">Send keys</button>
            </form>
            <div class="keypad" role="group" aria-label="Keypad">
              <button type="button">1</button><button type="button">2</button><button type="button">3</button>
              <button type="button">4</button><button type="button">5</button><button type="button">6</button>
              <button type="button">7</button><button type="button">8</button><button type="button">9</button>
              <button type="button">*</button><button type="button">0</button><button type="button">#</button>
            </div>
            <form id="say-form" class="row">
              <label>Say<input id="say" autocomplete="off" placeholder="yes please"></label>
              <button type="submit">Say</button>
              <button type="button" class="danger" id="hangup">Hang up</button>
            </form>
            <p class="error-text" id="phone-error" role="alert"></p>
            <h3 class="hint sub-h">What you hear and what the app does</h3>
            <ul class="hear" id="hear" aria-live="polite"></ul>
          </div>
        </div>
        <details class="sub" id="sms-panel">
          <summary>Send an SMS to your app</summary>
          <div class="body">
            <form id="sms-form">
              <div class="row">
                <label>From<input id="sms-from" value="+12015550199" required></label>
                <label>To<input id="sms-to" value="+12015550000" required></label>
                <label>Context<input id="sms-context" list="contexts" value="office"></label>
              </div>
              <div class="row"><label>Body<input id="sms-body" value="Hello from the console" required></label></div>
              <button class="primary" type="submit">Send SMS</button>
              <p class="error-text" id="sms-error" role="alert"></p>
            </form>
            <h3 class="hint sub-h">Messages your app sent</h3>
            <ul class="hear" id="replies" aria-live="polite"></ul>
          </div>
        </details>
        <details class="sub" id="task-panel">
          <summary>Deliver a task</summary>
          <div class="body">
            <form id="task-form">
              <div class="row"><label>Context<input id="task-context" list="contexts" value="office" required></label></div>
              <div class="row"><label>Message (JSON)<textarea id="task-message" rows="3">{"job": "report", "id": 1}</textarea></label></div>
              <button class="primary" type="submit">Deliver</button>
              <p class="error-text" id="task-error" role="alert"></p>
            </form>
          </div>
        </details>
        <datalist id="contexts"></datalist>
      </section>
    </div>
  </div>

  <div id="view-call" hidden>
    <p><a href="#/" class="back">← All activity</a></p>
    <section class="card" aria-labelledby="call-title">
      <div class="call-head">
        <h1 id="call-title">Call</h1><span class="state" id="call-state"></span>
        <div class="facts" id="call-facts"></div>
      </div>
    </section>
    <div class="grid gap-top">
      <div class="stack">
        <section class="card" aria-labelledby="timeline-h">
          <header><h2 id="timeline-h">Timeline</h2><span class="count" id="timeline-count">0</span></header>
          <div class="scroll tall"><table><thead><tr><th>Sim time</th><th>What</th><th>Details</th></tr></thead><tbody id="timeline"></tbody></table></div>
        </section>
        <section class="card" aria-labelledby="frames-h">
          <header><h2 id="frames-h">Relay frames</h2><span class="count" id="frames-count">0</span><span class="hint flat">of the owner session that name this call; tokens masked</span></header>
          <div class="frames" id="frames"><p class="empty">No frames.</p></div>
        </section>
      </div>
      <div class="stack">
        <section class="card" aria-labelledby="rtp-h" id="rtp-card" hidden>
          <header><h2 id="rtp-h">SIP media (RTP)</h2><span class="hint flat" id="rtp-live"></span></header>
          <div class="body facts" id="rtp"></div>
        </section>
        <section class="card" aria-labelledby="legs-h">
          <header><h2 id="legs-h">Legs</h2></header>
          <div id="legs"><p class="empty">No legs: this call was not connected elsewhere.</p></div>
        </section>
        <section class="card" aria-labelledby="media-h">
          <header><h2 id="media-h">Recordings and faxes</h2></header>
          <div class="body" id="media"><p class="empty flat">None.</p></div>
        </section>
      </div>
    </div>
  </div>

  <div id="view-world" hidden>
    <div class="grid">
      <div class="stack">
        <section class="card" aria-labelledby="numbers-h">
          <header><h2 id="numbers-h">Numbers</h2><span class="hint flat">what answers when your app dials them</span></header>
          <table><thead><tr><th>Number</th><th>What it does</th></tr></thead><tbody id="world-numbers"></tbody></table>
        </section>
        <section class="card" aria-labelledby="scripts-h">
          <header><h2 id="scripts-h">Caller scripts</h2></header>
          <table><thead><tr><th>Name</th><th>Behaviour</th></tr></thead><tbody id="world-scripts"></tbody></table>
        </section>
      </div>
      <div class="stack">
        <section class="card" aria-labelledby="routes-h">
          <header><h2 id="routes-h">Routes</h2><span class="hint flat">owned numbers → context</span></header>
          <table><thead><tr><th>Number</th><th>Context</th></tr></thead><tbody id="world-routes"></tbody></table>
        </section>
        <section class="card" aria-labelledby="sms-h">
          <header><h2 id="sms-h">Messaging outcomes</h2></header>
          <table><thead><tr><th>To</th><th>Ends</th></tr></thead><tbody id="world-sms"></tbody></table>
        </section>
        <section class="card" aria-labelledby="other-h">
          <header><h2 id="other-h">Everything else</h2></header>
          <div class="body" id="world-other"></div>
        </section>
      </div>
    </div>
  </div>
</main>

<dialog id="token-dialog" aria-labelledby="token-h">
  <form method="dialog" id="token-form">
    <h2 id="token-h" class="flat">Lab token</h2>
    <p>This server listens beyond loopback and asks for the token given to <code>relay serve --lab-token</code>.</p>
    <div class="row"><label>Token<input id="token" type="text" autocomplete="off" spellcheck="false" required></label></div>
    <button class="primary" type="submit">Continue</button>
  </form>
</dialog>
</body>
</html>
"""#
}
