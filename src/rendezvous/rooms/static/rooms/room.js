// The built-in video room (rendezvous.rooms): camera and microphone preview, then a
// peer-to-peer mesh of RTCPeerConnections signalled over our WebSocket. Every peer
// pair uses "perfect negotiation" (the participant with the larger id is polite), so
// either side may (re)negotiate at any time: tracks added, a screen shared, an ICE
// restart. The server decides who is in the room; this script only draws it.
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) return;
  var T = JSON.parse(document.getElementById("room-strings").textContent);
  function fmt(text, vars) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return vars[key]; });
  }
  function $(sel) { return root.querySelector(sel); }
  var statusEl = $("[data-room-status]"), alertEl = $("[data-room-alert]");
  var preview = $("[data-room-preview]"), camSel = $("[data-room-camera]"), micSel = $("[data-room-mic]");
  var lobby = $("[data-room-lobby]"), stage = $("[data-room-stage]"), tiles = $("[data-room-tiles]");
  var over = $("[data-room-over]"), overText = $("[data-room-over-text]");
  var micBtn = $("[data-room-mic-toggle]"), camBtn = $("[data-room-cam-toggle]");
  var shareBtn = $("[data-room-share]"), leaveBtn = $("[data-room-leave]"), endBtn = $("[data-room-end]");
  var endAsk = $("[data-room-end-confirm]"), endYes = $("[data-room-end-yes]"), endNo = $("[data-room-end-no]");
  var joinBtn = $("[data-room-join]"), joinAudioBtn = $("[data-room-join-audio]");
  var rejoinBtn = $("[data-room-rejoin]");
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.getAttribute("data-room-ws");

  var S = {
    me: null, peers: {}, names: {}, ice: [], local: new MediaStream(), camTrack: null,
    screen: null, micOn: true, camOn: true, ws: null, attempts: 0, timer: null,
    inRoom: false, finished: false, welcomes: 0
  };

  function say(text) { statusEl.textContent = text; }
  function warn(text) { alertEl.textContent = text; alertEl.hidden = !text; }
  function supported() {
    return !!(window.RTCPeerConnection && window.WebSocket && navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia);
  }

  // --- media -------------------------------------------------------------------
  function stopTracks(stream) {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
  }
  function constraint(select) {
    return select.value ? { deviceId: { exact: select.value } } : true;
  }
  async function acquire(withVideo) {
    var audio = constraint(micSel), video = withVideo ? constraint(camSel) : false;
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: audio, video: video });
    } catch (err) {
      var denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      if (video) {
        // No camera (or a busy one): sound only is better than nothing.
        try {
          var sound = await navigator.mediaDevices.getUserMedia({ audio: audio });
          warn(T.audio_only);
          return sound;
        } catch (err2) { /* fall through: no microphone either */ }
      }
      warn(denied ? T.denied : T.no_devices);
      return new MediaStream();
    }
  }
  async function listDevices() {
    var devices = [];
    try { devices = await navigator.mediaDevices.enumerateDevices(); } catch (e) { return; }
    fill(camSel, devices.filter(function (d) { return d.kind === "videoinput"; }), T.camera_n);
    fill(micSel, devices.filter(function (d) { return d.kind === "audioinput"; }), T.mic_n);
  }
  function fill(select, devices, label) {
    var chosen = select.value;
    select.textContent = "";
    var first = document.createElement("option");
    first.value = ""; first.textContent = T.default_device;
    select.appendChild(first);
    devices.forEach(function (d, i) {
      if (!d.deviceId || d.deviceId === "default") return;
      var opt = document.createElement("option");
      opt.value = d.deviceId;
      opt.textContent = d.label || fmt(label, { n: i + 1 });
      select.appendChild(opt);
    });
    select.value = chosen;
    if (select.value !== chosen) select.value = "";
  }
  async function setLocal(stream) {
    stopTracks(S.local);
    S.local = stream;
    S.camTrack = stream.getVideoTracks()[0] || null;
    stream.getAudioTracks().forEach(function (t) { t.enabled = S.micOn; });
    if (S.camTrack) S.camTrack.enabled = S.camOn;
    preview.srcObject = stream;
    if (S.inRoom) {
      Object.keys(S.peers).forEach(function (pid) { attachTracks(S.peers[pid]); });
      drawSelf();
    }
  }
  async function startPreview(withVideo) {
    if (!supported()) { warn(T.no_webrtc); joinBtn.disabled = joinAudioBtn.disabled = true; return; }
    await setLocal(await acquire(withVideo));
    await listDevices();
  }
  camSel.addEventListener("change", function () { startPreview(true); });
  micSel.addEventListener("change", function () { startPreview(!!S.camTrack || !S.inRoom); });

  // --- signaling ---------------------------------------------------------------
  function send(msg) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(msg));
  }
  function connect() {
    if (S.finished) return;
    say(S.attempts ? T.reconnecting : T.connecting);
    var ws = new WebSocket(wsUrl);
    S.ws = ws;
    ws.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      handle(msg);
    };
    ws.onclose = function (event) {
      if (S.ws !== ws) return;
      S.ws = null;
      closed(event.code);
    };
  }
  function closed(code) {
    if (S.finished) return;
    var final = {
      4403: T.refused_forbidden, 4404: T.refused_unknown, 4410: T.refused_ended,
      4425: T.refused_early, 4429: fmt(T.refused_full, { max: root.getAttribute("data-room-max") }),
      4409: T.replaced
    };
    if (final[code]) { finish(final[code], code === 4409); return; }
    // Anything else is a lost connection: come back with backoff while the window lasts.
    S.attempts += 1;
    var delay = code === 1012 ? 200 : Math.min(500 * Math.pow(2, S.attempts - 1), 10000);
    say(T.reconnecting);
    S.timer = window.setTimeout(connect, delay + Math.random() * 250);
  }
  window.addEventListener("online", function () {
    if (S.inRoom && !S.ws && !S.finished) { window.clearTimeout(S.timer); connect(); }
  });

  function handle(msg) {
    if (msg.type === "welcome") {
      S.welcomes += 1;
      S.attempts = 0;
      S.me = msg.you;
      S.ice = msg.ice || [];
      // A fresh socket means fresh peer connections: the others saw us leave and return.
      Object.keys(S.peers).forEach(closePeer);
      enterStage();
      msg.peers.forEach(function (p) { S.names[p.pid] = p; makePeer(p); });
      say(msg.peers.length ? T.joined : T.alone);
    } else if (msg.type === "joined") {
      S.names[msg.peer.pid] = msg.peer;
      var known = S.peers[msg.peer.pid];
      // The newcomer calls everyone on its welcome list; we answer its offer (onSignal)
      // rather than call too, so two fresh connections never start with crossed offers.
      // A new sid is the participant back on a new socket: drop the old connection.
      if (known && known.sid !== msg.peer.sid) closePeer(msg.peer.pid);
      say(fmt(T.peer_joined, { name: msg.peer.name }));
    } else if (msg.type === "left") {
      var gone = S.peers[msg.pid] || S.names[msg.pid];
      closePeer(msg.pid);
      if (gone) say(fmt(T.peer_left, { name: gone.name }));
      if (!Object.keys(S.peers).length) say(gone ? fmt(T.peer_left, { name: gone.name }) + " " + T.alone : T.alone);
    } else if (msg.type === "signal") {
      onSignal(msg.from, msg.sid, msg.data);
    } else if (msg.type === "ended") {
      finish(msg.reason === "host" ? T.ended_host : T.ended_time, false);
    }
  }

  // --- peers (perfect negotiation) ------------------------------------------------
  function makePeer(info) {
    closePeer(info.pid);
    var pc = new RTCPeerConnection({ iceServers: S.ice });
    var peer = {
      pid: info.pid, sid: info.sid, name: info.name, host: info.host, pc: pc,
      stream: new MediaStream(),
      polite: S.me.pid > info.pid, makingOffer: false, ignoreOffer: false, senders: {}
    };
    S.peers[info.pid] = peer;
    drawPeer(peer);
    pc.ontrack = function (event) {
      peer.stream.addTrack(event.track);
      event.track.addEventListener("ended", function () { peer.stream.removeTrack(event.track); });
      peer.video.srcObject = peer.stream;
    };
    pc.onicecandidate = function (event) {
      send({ type: "signal", to: peer.pid, data: { candidate: event.candidate } });
    };
    pc.onnegotiationneeded = async function () {
      // Tracks added while answering an offer queue this event; a bare
      // setLocalDescription() then would make a second answer, or an offer that crosses
      // the one being answered. The browser fires it again once the state is stable.
      if (pc.signalingState !== "stable") return;
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        send({ type: "signal", to: peer.pid, data: { description: pc.localDescription } });
      } catch (e) {
        /* a later negotiation (or the other side's offer) takes over */
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.oniceconnectionstatechange = function () {
      if (pc.iceConnectionState === "failed") pc.restartIce();
    };
    pc.onconnectionstatechange = function () {
      peer.tile.setAttribute("data-state", pc.connectionState);
      if (pc.connectionState === "failed") {
        say(fmt(T.peer_problem, { name: peer.name }));
        pc.restartIce();
      }
    };
    attachTracks(peer);
    return peer;
  }
  function attachTracks(peer) {
    var video = S.screen ? S.screen.getVideoTracks()[0] : S.camTrack;
    var audio = S.local.getAudioTracks()[0] || null;
    [["audio", audio], ["video", video]].forEach(function (pair) {
      var kind = pair[0], track = pair[1], sender = peer.senders[kind];
      if (sender) {
        if (sender.track !== track) sender.replaceTrack(track).catch(function () {});
      } else if (track) {
        peer.senders[kind] = peer.pc.addTrack(track, S.local);
      }
    });
  }
  async function onSignal(from, sid, data) {
    var peer = S.peers[from];
    if (!peer || peer.sid !== sid) {
      // Only an offer opens a connection; candidates of an old connection are dropped.
      if (!data.description || data.description.type !== "offer") return;
      var info = S.names[from] || { pid: from, name: "", host: false };
      peer = makePeer({ pid: from, sid: sid, name: info.name, host: info.host });
    }
    var pc = peer.pc;
    try {
      if (data.description) {
        var collision = data.description.type === "offer" &&
          (peer.makingOffer || pc.signalingState !== "stable");
        peer.ignoreOffer = !peer.polite && collision;
        if (peer.ignoreOffer) return;
        await pc.setRemoteDescription(data.description);
        if (data.description.type === "offer") {
          await pc.setLocalDescription();
          send({ type: "signal", to: from, data: { description: pc.localDescription } });
        }
      } else if ("candidate" in data) {
        try {
          await pc.addIceCandidate(data.candidate || undefined);
        } catch (err) {
          if (!peer.ignoreOffer) throw err;
        }
      }
    } catch (err) {
      if (window.console) console.warn("room: signaling", err && err.name);
    }
  }
  function closePeer(pid) {
    var peer = S.peers[pid];
    if (!peer) return;
    delete S.peers[pid];
    peer.pc.close();
    if (peer.tile) peer.tile.remove();
  }

  // --- drawing -------------------------------------------------------------------
  function tile(name, muted) {
    var li = document.createElement("li");
    li.className = "room-tile";
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = muted;
    video.setAttribute("aria-hidden", "true");
    var caption = document.createElement("p");
    caption.className = "room-name";
    caption.textContent = name;
    li.appendChild(video);
    li.appendChild(caption);
    return { li: li, video: video };
  }
  function drawSelf() {
    var old = tiles.querySelector("[data-self]");
    if (old) old.remove();
    var t = tile(fmt(T.you, { name: S.me.name }), true);
    t.li.setAttribute("data-self", "");
    t.video.srcObject = S.screen || S.local;
    tiles.insertBefore(t.li, tiles.firstChild);
  }
  function drawPeer(peer) {
    var t = tile(peer.name, false);
    t.li.setAttribute("data-peer", peer.pid);
    peer.tile = t.li;
    peer.video = t.video;
    tiles.appendChild(t.li);
  }
  function enterStage() {
    if (!S.inRoom) {
      S.inRoom = true;
      lobby.hidden = true;
      stage.hidden = false;
      preview.srcObject = null;
      micBtn.focus();
    }
    drawSelf();
    updateButtons();
  }
  function updateButtons() {
    micBtn.textContent = S.micOn ? T.mic_on : T.mic_off;
    camBtn.textContent = S.camOn && S.camTrack ? T.cam_on : T.cam_off;
    shareBtn.textContent = S.screen ? T.unshare : T.share;
    shareBtn.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  }
  function finish(text, replaced) {
    if (S.finished) return;
    S.finished = true;
    window.clearTimeout(S.timer);
    if (S.ws) { var ws = S.ws; S.ws = null; ws.close(1000); }
    Object.keys(S.peers).forEach(closePeer);
    stopTracks(S.local);
    stopTracks(S.screen);
    lobby.hidden = true;
    stage.hidden = true;
    over.hidden = false;
    overText.textContent = text;
    rejoinBtn.hidden = !replaced;
    say("");
    overText.focus();
  }

  // --- controls ------------------------------------------------------------------
  function join(withVideo) {
    if (!withVideo) {
      S.local.getVideoTracks().forEach(function (t) { t.stop(); S.local.removeTrack(t); });
      S.camTrack = null;
      S.camOn = false;
    }
    joinBtn.disabled = joinAudioBtn.disabled = true;
    connect();
  }
  joinBtn.addEventListener("click", function () { join(true); });
  joinAudioBtn.addEventListener("click", function () { join(false); });
  micBtn.addEventListener("click", function () {
    S.micOn = !S.micOn;
    S.local.getAudioTracks().forEach(function (t) { t.enabled = S.micOn; });
    updateButtons();
  });
  camBtn.addEventListener("click", async function () {
    if (!S.camTrack) {
      // Joined with sound only (or the camera came later): ask for it now.
      S.camOn = true;
      var stream = await acquire(true);
      if (!stream.getVideoTracks().length) { S.camOn = false; updateButtons(); return; }
      await setLocal(stream);
    } else {
      S.camOn = !S.camOn;
      S.camTrack.enabled = S.camOn;
    }
    updateButtons();
  });
  shareBtn.addEventListener("click", async function () {
    if (S.screen) { stopShare(); return; }
    try {
      S.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (e) {
      warn(T.share_failed);
      return;
    }
    S.screen.getVideoTracks()[0].addEventListener("ended", stopShare);
    Object.keys(S.peers).forEach(function (pid) { attachTracks(S.peers[pid]); });
    drawSelf();
    updateButtons();
  });
  function stopShare() {
    if (!S.screen) return;
    stopTracks(S.screen);
    S.screen = null;
    Object.keys(S.peers).forEach(function (pid) { attachTracks(S.peers[pid]); });
    drawSelf();
    updateButtons();
  }
  leaveBtn.addEventListener("click", function () { finish(T.left, true); });
  // Ending is for everyone and cannot be undone: a second, explicit step, focused on
  // its harmless choice so a double press or a stray Enter does not end the meeting.
  function askEnd(asking) {
    endBtn.hidden = asking;
    endAsk.hidden = !asking;
    (asking ? endNo : endBtn).focus();
  }
  if (endBtn) {
    endBtn.addEventListener("click", function () { askEnd(true); });
    endNo.addEventListener("click", function () { askEnd(false); });
    endAsk.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); askEnd(false); }
    });
    endYes.addEventListener("click", function () { send({ type: "end" }); });
  }
  rejoinBtn.addEventListener("click", function () { window.location.reload(); });

  // For the browser tests and for support: what this page sees, without secrets.
  window.rdvRoom = {
    welcomes: function () { return S.welcomes; },
    open: function () { return !!(S.ws && S.ws.readyState === WebSocket.OPEN); },
    me: function () { return S.me; },
    peers: function () {
      return Object.keys(S.peers).map(function (pid) {
        var p = S.peers[pid];
        return { pid: pid, name: p.name, state: p.pc.connectionState,
          videoTracks: p.stream.getVideoTracks().length };
      });
    },
    // Per peer: the energy of the sound received so far and how many seconds of it.
    // Chrome counts the energy where it plays the sound out, so only for an unmuted element.
    audioIn: async function () {
      var out = {};
      for (var pid in S.peers) {
        var energy = 0, seconds = 0;
        var stats = await S.peers[pid].pc.getStats();
        stats.forEach(function (r) {
          if (r.type === "inbound-rtp" && r.kind === "audio") {
            energy += r.totalAudioEnergy || 0;
            seconds += r.totalSamplesDuration || 0;
          }
        });
        out[pid] = { energy: energy, seconds: seconds };
      }
      return out;
    },
    framesDecoded: async function () {
      var out = {};
      for (var pid in S.peers) {
        var total = 0;
        var stats = await S.peers[pid].pc.getStats();
        stats.forEach(function (r) {
          if (r.type === "inbound-rtp" && r.kind === "video") total += r.framesDecoded || 0;
        });
        out[pid] = total;
      }
      return out;
    }
  };

  startPreview(true);
})();
