"""`meshtwin proxy` out of file descriptors: run under `prlimit --nofile=48`, hold 100 connections,
measure its CPU for 2 s, then ask its admin endpoint for /stats and /quitquitquit.

python3 scripts/proxy-hostile/fd_exhaustion.py MESHTWIN WORKSPACE [--max-connections 100000]"""
import socket, subprocess, sys, time, os, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
bin_, root, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
class H(BaseHTTPRequestHandler):
    protocol_version="HTTP/1.1"
    def do_GET(self):
        b=b"hello"; self.send_response(200); self.send_header("content-length",str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self,*a): pass
up=HTTPServer(("127.0.0.1",0),H); threading.Thread(target=up.serve_forever,daemon=True).start()
def fp():
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); return p
L,A=fp(),fp()
p=subprocess.Popen(["prlimit","--nofile=48:48","--",bin_,"proxy","scenarios/istio-circuit-breaking.yaml","--pod","fortio-0","--listen",f"127.0.0.1:{L}","--endpoint",f"httpbin-0=127.0.0.1:{up.server_port}","--admin",f"127.0.0.1:{A}"]+extra,cwd=root,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
time.sleep(1.5)
held=[]
for i in range(100):
    try: held.append(socket.create_connection(("127.0.0.1",L),timeout=1))
    except Exception as e: pass
time.sleep(0.3)
def ticks():
    f=open(f"/proc/{p.pid}/stat").read(); r=f[f.rfind(")")+2:].split(); return int(r[11])+int(r[12])
t0=ticks(); time.sleep(2); t1=ticks()
print("held", len(held), "cpu ticks in 2 s:", t1-t0, "(200 = one core busy)")
def admin(path, method="GET"):
    try:
        s=socket.create_connection(("127.0.0.1",A),timeout=2); s.sendall(f"{method} {path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n".encode()); s.settimeout(2)
        out=b""
        while True:
            d=s.recv(65536)
            if not d: break
            out+=d
        return out.decode(errors="replace")
    except Exception as e: return f"admin failed: {e}"
r=admin("/stats"); print("admin while exhausted:", r.split("\r\n")[0][:80])
r=admin("/quitquitquit","POST"); print("quit while exhausted:", r.split("\r\n")[0][:80])
time.sleep(1); print("exited:", p.poll())
for s in held: s.close()
time.sleep(1.5)
if p.poll() is None:
    r=admin("/quitquitquit","POST"); print("quit after release:", r.split("\r\n")[0][:80]); time.sleep(1); print("exited:", p.poll())
if p.poll() is None: p.kill(); print("killed")
