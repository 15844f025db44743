// 软电话: the WebRTC softphone inside the agent desktop (issue 14). The agent's browser registers with
// FreeSWITCH's agents profile over SIP WebSocket (JsSIP, served by the router from node_modules), so the router
// rings it as user/<extension>@<agents domain> like a desk phone: the ringing, the 接听 and 挂断 buttons and the
// screen-pop are one screen. The account comes from GET api/softphone once the desktop is signed in (app.js
// sends "hotline:desk"); without HOTLINE_SOFTPHONE_WS_URL on the router it answers enabled: false and the page
// stays as it was (nothing is loaded, nothing is shown). The SIP password stays in JsSIP: never logged or stored.

const $ = (id) => document.getElementById(id);

const sp = {
  /** off | connecting | registered | unregistered | failed */
  reg: 'off',
  /** idle | ringing | answering | talking | ended */
  call: 'idle',
  caller: '',
  agentId: '',
  pc: null,
};
let ua = null;
let session = null;
let starting = null;
let ringer = null;

// ---------- start and stop (driven by app.js) ----------

window.addEventListener('hotline:desk', (e) => {
  const { token, agentId } = e.detail || {};
  if (!token || !agentId) return;
  if (ua && sp.agentId === agentId) return; // a reconnect of the desktop: the phone stays as it is
  void start(token, agentId);
});
window.addEventListener('hotline:logout', () => stop());
window.addEventListener('pagehide', () => stop());

async function start(token, agentId) {
  if (starting) return starting;
  starting = (async () => {
    stop();
    let cfg;
    try {
      const r = await fetch('api/softphone', {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      if (!r.ok) return;
      cfg = await r.json();
    } catch {
      return;
    }
    if (!cfg.enabled) return;
    try {
      await loadLibrary();
    } catch {
      show();
      setReg('failed', '软电话组件加载失败，请刷新页面');
      return;
    }
    sp.agentId = agentId;
    show();
    const socket = new window.JsSIP.WebSocketInterface(cfg.wsUrl);
    ua = new window.JsSIP.UA({
      sockets: [socket],
      uri: cfg.uri,
      authorization_user: cfg.authorizationUser,
      password: cfg.password,
      display_name: cfg.displayName,
      register: true,
      register_expires: 120,
      session_timers: false,
      user_agent: 'hotline-12345-desktop',
    });
    cfg.password = '';
    const iceServers = (cfg.iceServers || []).map((u) => ({ urls: u }));
    ua.on('connecting', () => setReg('connecting'));
    ua.on('disconnected', () => setReg('unregistered', '与话务服务器的连接已断开，正在重连…'));
    ua.on('registered', () => setReg('registered'));
    ua.on('unregistered', () => setReg('unregistered'));
    ua.on('registrationFailed', (ev) =>
      setReg('failed', ev.cause === 'Rejected' ? '注册被拒绝（账号或密码错误）' : `注册失败（${ev.cause}）`),
    );
    ua.on('newRTCSession', (ev) => onSession(ev, iceServers));
    setReg('connecting');
    ua.start();
  })().finally(() => {
    starting = null;
  });
  return starting;
}

function stop() {
  stopRinging();
  if (session) {
    try {
      session.terminate();
    } catch {
      /* already over */
    }
  }
  session = null;
  if (ua) {
    const old = ua;
    ua = null;
    old.removeAllListeners();
    old.stop(); // sends the un-REGISTER
  }
  sp.agentId = '';
  sp.pc = null;
  sp.call = 'idle';
  sp.reg = 'off';
  const box = $('softphone');
  if (box) box.hidden = true;
  $('spBadge').hidden = true;
  $('spHelp').hidden = true;
}

function loadLibrary() {
  if (window.JsSIP) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'vendor/jssip.min.js';
    s.onload = () => (window.JsSIP ? resolve() : reject(new Error('no JsSIP')));
    s.onerror = () => reject(new Error('JsSIP not loaded'));
    document.head.append(s);
  });
}

// ---------- calls ----------

function onSession(ev, iceServers) {
  const s = ev.session;
  if (ev.originator !== 'remote') return;
  if (session) {
    // One call at a time: the router never offers a second, a stray one is refused.
    s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    return;
  }
  session = s;
  s.__iceServers = iceServers;
  const who = s.remote_identity;
  const name = who && who.display_name ? who.display_name : '';
  const number = who && who.uri ? who.uri.user : '';
  sp.caller = [name, number].filter(Boolean).join(' ') || '未知来电';
  s.on('peerconnection', (e) => attach(e.peerconnection));
  s.on('accepted', () => setCall('talking'));
  s.on('confirmed', () => setCall('talking'));
  s.on('ended', () => endCall(s, '通话已结束'));
  s.on('failed', (e) =>
    endCall(
      s,
      e.cause === 'Canceled' ? '来电已取消（来电人挂机或已转其他坐席）' : `呼叫未接通（${e.cause}）`,
    ),
  );
  setCall('ringing');
  startRinging();
}

function attach(pc) {
  sp.pc = pc;
  pc.addEventListener('track', (e) => {
    const audio = $('spAudio');
    audio.srcObject = e.streams[0] || new MediaStream([e.track]);
    void audio.play().catch(() => undefined);
  });
}

function answer() {
  if (!session || sp.call !== 'ringing') return;
  stopRinging();
  setCall('answering');
  try {
    session.answer({
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: session.__iceServers || [], rtcpMuxPolicy: 'require' },
    });
  } catch {
    endCall(session, '接听失败');
  }
}

function hangup() {
  if (!session) return;
  stopRinging();
  try {
    // Ringing: refuse (the router offers the call to the next agent); talking: BYE.
    session.terminate(sp.call === 'ringing' ? { status_code: 486, reason_phrase: 'Busy Here' } : undefined);
  } catch {
    endCall(session, '通话已结束');
  }
}

function endCall(s, text) {
  if (s !== session) return;
  stopRinging();
  session = null;
  $('spAudio').srcObject = null;
  setCall('ended', text);
}

// A Chinese ring tone (450 Hz, 1 s on, 4 s off), made by the page: no sound file, nothing to load.
function startRinging() {
  stopRinging();
  try {
    const ctx = new AudioContext();
    const beep = () => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = 450;
      g.gain.value = 0.15;
      o.connect(g).connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 1);
    };
    beep();
    ringer = { ctx, timer: setInterval(beep, 5000) };
  } catch {
    ringer = null;
  }
}

function stopRinging() {
  if (!ringer) return;
  clearInterval(ringer.timer);
  void ringer.ctx.close().catch(() => undefined);
  ringer = null;
}

// ---------- view ----------

function show() {
  $('softphone').hidden = false;
  $('spBadge').hidden = false;
  $('spHelp').hidden = false;
  render();
}

function setReg(reg, text) {
  sp.reg = reg;
  sp.regText = text || '';
  render();
}

function setCall(call, text) {
  sp.call = call;
  sp.callText = text || '';
  render();
}

const REG_LABELS = {
  connecting: '注册中…',
  registered: '已注册',
  unregistered: '未注册',
  failed: '未注册',
};

function render() {
  const badge = $('spBadge');
  badge.dataset.sp =
    sp.reg === 'registered' ? 'registered' : sp.reg === 'connecting' ? 'connecting' : 'unregistered';
  badge.textContent = `软电话${REG_LABELS[sp.reg] || '未注册'}`;
  $('spReg').textContent = `${REG_LABELS[sp.reg] || '未注册'}${sp.regText ? `：${sp.regText}` : ''}`;
  const box = $('softphone');
  box.dataset.call = sp.call;
  const line = $('spLine');
  line.textContent =
    {
      idle: sp.reg === 'registered' ? '空闲，来电将在此振铃' : '未注册时无法接听来电',
      ringing: `来电振铃：${sp.caller}（Alt+6 接听）`,
      answering: `正在接通：${sp.caller}`,
      talking: `通话中：${sp.caller}`,
      ended: sp.callText || '通话已结束',
    }[sp.call] || '';
  $('btnAnswer').disabled = sp.call !== 'ringing';
  $('btnHangup').disabled = !['ringing', 'answering', 'talking'].includes(sp.call);
}

$('btnAnswer').addEventListener('click', answer);
$('btnHangup').addEventListener('click', hangup);
document.addEventListener('keydown', (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey || $('softphone').hidden) return;
  const key = e.code && e.code.startsWith('Digit') ? e.code.slice(5) : e.key;
  if (key === '6') {
    e.preventDefault();
    answer();
  } else if (key === '7') {
    e.preventDefault();
    hangup();
  }
});

// For tests and support: the phone's state and its RTCPeerConnection (getStats), never the account.
window.__softphone = {
  get registration() {
    return sp.reg;
  },
  get call() {
    return sp.call;
  },
  get pc() {
    return sp.pc;
  },
};
