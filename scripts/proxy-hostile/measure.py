"""Measure `meshtwin proxy` against hostile clients on loopback (figures for issue 15).

python3 scripts/proxy-hostile/measure.py MESHTWIN WORKSPACE aborts            # 3 x 1,000 uploads aborted mid-body (close, reset, half-close, Expect and leave)
python3 scripts/proxy-hostile/measure.py MESHTWIN WORKSPACE aborts streaming  # the same past the 1 MiB buffer limit (4 MiB uploads, 1.2 MiB sent)
python3 scripts/proxy-hostile/measure.py MESHTWIN WORKSPACE upload            # one 1 GiB upload, peak RSS
python3 scripts/proxy-hostile/measure.py MESHTWIN WORKSPACE stdout            # 20,000 requests with stdout never drained

Runs fortio-0's sidecar of scenarios/istio-circuit-breaking.yaml against a local Python upstream;
prints fd counts and RSS from /proc, and the counters from the admin endpoint."""
import socket, subprocess, sys, time, os, threading, struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
bin_, root, what = sys.argv[1], sys.argv[2], sys.argv[3]
CL, SENT = (100000, 5000) if len(sys.argv) < 5 else (4 << 20, 1200 << 10)
ROUNDS = 3
class H(BaseHTTPRequestHandler):
    protocol_version="HTTP/1.1"
    def _body(self):
        n=int(self.headers.get("content-length","0")); got=0
        while got<n:
            d=self.rfile.read(min(1<<20,n-got))
            if not d: return
            got+=len(d)
        b=str(got).encode(); self.send_response(200); self.send_header("content-length",str(len(b))); self.end_headers(); self.wfile.write(b)
    do_GET=_body; do_POST=_body
    def log_message(self,*a): pass
up=ThreadingHTTPServer(("127.0.0.1",0),H); up.daemon_threads=True; threading.Thread(target=up.serve_forever,daemon=True).start()
def fp():
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); return p
L,A=fp(),fp()
out = subprocess.PIPE if what=="stdout" else subprocess.DEVNULL
p=subprocess.Popen([bin_,"proxy","scenarios/istio-circuit-breaking.yaml","--pod","fortio-0","--listen",f"127.0.0.1:{L}","--endpoint",f"httpbin-0=127.0.0.1:{up.server_port}","--admin",f"127.0.0.1:{A}"],cwd=root,stdout=out,stderr=subprocess.DEVNULL)
time.sleep(1.5)
def fds(): return len(os.listdir(f"/proc/{p.pid}/fd"))
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
def admin(path, method="GET"):
    s=socket.create_connection(("127.0.0.1",A),timeout=5); s.sendall(f"{method} {path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n".encode())
    o=b""
    while True:
        d=s.recv(65536)
        if not d: break
        o+=d
    return o.decode()
def get():
    s=socket.create_connection(("127.0.0.1",L)); s.sendall(b"GET /get HTTP/1.1\r\nhost: httpbin:8000\r\nconnection: close\r\n\r\n")
    o=b""
    while True:
        d=s.recv(65536)
        if not d: break
        o+=d
    s.close(); return o
for _ in range(20): get()
base_fd, base_rss = fds(), rss()
print(f"baseline: {base_fd} fds, RSS {base_rss} KiB")
if what=="aborts":
    def abort(i):
        s=socket.create_connection(("127.0.0.1",L))
        kind=i%4
        head=b"POST /post HTTP/1.1\r\nhost: httpbin:8000\r\ncontent-length: "+str(CL).encode()+b"\r\n"+(b"expect: 100-continue\r\n" if kind==3 else b"")+b"\r\n"
        s.sendall(head)
        if kind!=3: s.sendall(b"x"*SENT)
        if kind==1: s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii",1,0))
        if kind==2: s.shutdown(socket.SHUT_WR)
        s.close()
    for rnd in range(ROUNDS):
        t0=time.time()
        for b in range(0,1000,50):
            ts=[threading.Thread(target=abort,args=(b+i,)) for i in range(50)]
            [t.start() for t in ts]; [t.join() for t in ts]
        print(f"round {rnd+1}: 1000 aborted uploads sent in {time.time()-t0:.1f} s; right after: {fds()} fds, RSS {rss()} KiB")
        t1=time.time()
        while time.time()-t1<5 and fds()>base_fd: time.sleep(0.05)
        print(f"  after {time.time()-t1:.2f} s: {fds()} fds, RSS {rss()} KiB")
    st=admin("/stats")
    for l in st.splitlines():
        if "downstream_rq_active" in l or "downstream_cx_active" in l or "rx_reset" in l or "upstream_rq_active" in l or "downstream_rq_total" in l: print("  ", l)
    print("next request:", get().split(b"\r\n")[0])
elif what=="upload":
    n=1<<30
    s=socket.create_connection(("127.0.0.1",L)); s.sendall(f"POST /post HTTP/1.1\r\nhost: httpbin:8000\r\ncontent-length: {n}\r\nconnection: close\r\n\r\n".encode())
    chunk=b"z"*(1<<20); peak=0; t0=time.time()
    for i in range(1024):
        s.sendall(chunk)
        if i%32==0: peak=max(peak,rss())
    o=b""
    while True:
        d=s.recv(65536)
        if not d: break
        o+=d
    body=o.split(b"\r\n\r\n")[1][:20]
    print(f"1 GiB upload in {time.time()-t0:.1f} s: peak RSS {peak} KiB (baseline {base_rss} KiB); answer {o.splitlines()[0]} body {body}")
elif what=="stdout":
    t0=time.time(); n=0; slow=0
    while n<20000:
        a=time.time(); r=get(); n+=1
        if time.time()-a>1: slow+=1
        assert r.startswith(b"HTTP/1.1 200"), r
    st=admin("/stats")
    print(f"{n} requests with stdout never drained in {time.time()-t0:.1f} s ({slow} over 1 s); admin answered:")
    for l in st.splitlines():
        if l.startswith("access_log"): print("  ", l)
print("quit:", admin("/quitquitquit","POST").splitlines()[0])
time.sleep(1.5); print("exit code:", p.poll())
if p.poll() is None: p.kill()
