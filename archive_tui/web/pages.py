"""The two web pages of ``serve`` (登录页 and the page that holds the app), with all their
Chinese text in one place.

Every address in them is relative to the page (``login``, ``static/…``, ``ws``,
``download/…``), and the websocket address is made in the browser from the page's own
address (``wss:`` when the page came over HTTPS), so the same server works under any
host name, an IP address, or behind a proxy that adds HTTPS or a path prefix.
"""

from __future__ import annotations

from html import escape

TEXT = {
    "title": "确权登记档案",
    "name": "账户名",
    "password": "密码",
    "login": "登录",
    "expired": "登录已过期，请重新登录。",
    "logged_out": "已退出登录。",
    "note": "账户由本单位的管理员添加；没有账户或忘记密码，请找管理员。",
    "loading": "正在打开……",
    "closed": "本次会话已结束。",
    "reopen": "重新打开",
    "logout": "退出登录",
    "full": "同时打开的会话已满（{limit} 个），请关闭不用的浏览器标签页后再试。",
}

_STYLE = """
body { margin: 0; background: #0c181f; color: #e8eef2;
       font-family: "Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; }
.box { width: 22em; margin: 12vh auto; padding: 2em; background: #12232d; border-radius: 6px; }
h1 { font-size: 1.3em; margin: 0 0 .3em; } .where { color: #9fb3c1; margin: 0 0 1.5em; }
label { display: block; margin: .8em 0 .3em; }
input { width: 100%; box-sizing: border-box; padding: .5em; font-size: 1em; border: 1px solid #3b5566;
        background: #0c181f; color: #e8eef2; border-radius: 3px; }
button { margin-top: 1.5em; width: 100%; padding: .6em; font-size: 1em; background: #2f6f9f; color: #fff;
         border: none; border-radius: 3px; cursor: pointer; }
.message { padding: .6em; border-radius: 3px; background: #4a1f24; margin-bottom: 1em; }
.message.info { background: #1f3a4a; }
.note { color: #9fb3c1; font-size: .85em; margin-top: 1.5em; }
"""


def login_page(place: str, message: str = "", info: bool = False, name: str = "") -> str:
    """The login form; ``message`` is a refusal (or, with ``info``, a plain notice)."""
    shown = f'<p class="message{" info" if info else ""}" id="message">{escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(TEXT["title"])}</title><style>{_STYLE}</style></head>
<body><form class="box" method="post" action="login" autocomplete="off">
<h1>{escape(TEXT["title"])}</h1><p class="where">{escape(place)}</p>{shown}
<label for="name">{TEXT["name"]}</label><input id="name" name="name" value="{escape(name)}" required autofocus>
<label for="password">{TEXT["password"]}</label><input id="password" name="password" type="password" required>
<button type="submit" id="login">{TEXT["login"]}</button>
<p class="note">{escape(TEXT["note"])}</p></form></body></html>"""


def notice_page(message: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(TEXT["title"])}</title><style>{_STYLE}</style></head>
<body><div class="box"><p class="message">{escape(message)}</p>
<p><a href="./" style="color:#9fd0ff">{TEXT["reopen"]}</a></p></div></body></html>"""


_APP_SCRIPT = """
(function () {
  // the websocket address from this page's own address: wss behind HTTPS, any host, any prefix
  const terminal = document.getElementById("terminal");
  const socket = new URL("ws", window.location.href);
  socket.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  socket.search = "";
  terminal.dataset.sessionWebsocketUrl = socket.href;

  // textual.js asks for downloads at origin + "/download/KEY": ask relative to this page instead,
  // through a link (a download, not a new blank tab)
  const rootDownload = window.location.origin + "/download/";
  const openWindow = window.open.bind(window);
  window.open = function (url, target, features) {
    if (typeof url === "string" && url.startsWith(rootDownload)) {
      const link = document.createElement("a");
      link.href = new URL("download/" + url.slice(rootDownload.length), window.location.href).href;
      link.download = "";
      document.body.appendChild(link);
      link.click();
      link.remove();
      return null;
    }
    return openWindow(url, target, features);
  };

  // start the terminal once its fonts are loaded, so that cells are measured right
  const start = window.onload;
  window.onload = null;
  window.addEventListener("load", function () {
    const fonts = [document.fonts.load("16px 'Roboto Mono'"), document.fonts.load("16px 'Roboto Mono'", "档案")];
    Promise.allSettled(fonts).then(function () { start && start(); });
  });

  // keys go to the app as soon as it has drawn: no click needed after logging in
  new MutationObserver(function (changes, observer) {
    if (document.body.classList.contains("-first-byte")) {
      const input = document.querySelector(".xterm-helper-textarea");
      if (input) { input.focus(); observer.disconnect(); }
    }
  }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
})();
"""

_APP_STYLE = """
@font-face { font-family: "Roboto Mono"; src: url("static/fonts/RobotoMono-VariableFont_wght.ttf"); }
body { margin: 0; background: #0c181f; overflow: hidden; }
.textual-terminal { width: 100vw; height: 100vh; }
.dialog { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; z-index: 10;
          color: #e8eef2; font-family: "Microsoft YaHei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; }
.dialog div { background: #12232d; padding: 2em 3em; border-radius: 6px; text-align: center; }
.dialog a { display: inline-block; margin: 1em .6em 0; padding: .5em 1.2em; background: #2f6f9f; color: #fff;
            text-decoration: none; border-radius: 3px; }
body.-first-byte .opening, .closed { display: none; }
body.-closed .closed { display: flex; }
body .textual-terminal { opacity: 0; } body.-first-byte .textual-terminal { opacity: 1; }
#start { display: none; }
"""


def app_page(font_size: int) -> str:
    """The page that holds the app: xterm.js from textual-serve's static files, talking over
    the websocket to this login's own app process."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(TEXT["title"])}</title>
<link rel="stylesheet" href="static/css/xterm.css"><script src="static/js/textual.js"></script>
<style>{_APP_STYLE}</style></head>
<body>
<div class="dialog opening"><div>{TEXT["loading"]}</div></div>
<div class="dialog closed"><div>{TEXT["closed"]}<br>
<a href="./" id="reopen">{TEXT["reopen"]}</a><a href="logout" id="logout">{TEXT["logout"]}</a></div></div>
<button id="start" onclick="window.location.reload()"></button>
<div id="terminal" class="textual-terminal" data-session-websocket-url="" data-font-size="{int(font_size)}"></div>
<script>{_APP_SCRIPT}</script>
</body></html>"""
