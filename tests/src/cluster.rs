//! A test cluster on one machine (`scripts/test-cluster`): N hosts `node1..nodeN`, each in its own
//! network namespace on a bridge of ours with its own `dockerd`, and a TLS + htpasswd registry on
//! the bridge address that every engine (the main one too) trusts. [`Cluster::up`] starts one in a
//! fresh folder under /tmp; dropping the [`Cluster`] (also while a test panics) runs `down`.
//! [`Cluster::up_with_ssh`] also starts an OpenSSH sshd on each host (`up N DIR --ssh`), so the
//! hosts are reachable as `ssh://root@ADDRESS` docker endpoints.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One test host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Host name (`node1`, ...), also the engine's hostname and its Swarm node name.
    pub name: String,
    /// Its address on the cluster's bridge (reachable from the root namespace).
    pub address: String,
    /// Its engine's endpoint, `unix:///DIR/NAME/docker.sock` (a DOCKER_HOST value).
    pub docker_host: String,
}

/// A running test cluster; `down` when dropped.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
    nodes: Vec<Node>,
    registry: (String, String, String),
    bridge: String,
    bridge_ip: String,
    /// `(NAME, ssh://root@ADDRESS)` per host when started with ssh.
    ssh: Vec<(String, String)>,
}

fn script() -> PathBuf {
    crate::repo().join("scripts").join("test-cluster")
}

#[allow(unsafe_code)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Why a cluster cannot run on this machine, if it cannot.
fn cannot_run() -> Option<String> {
    if !is_root() {
        return Some("not root (network namespaces, a bridge and iptables need it)".into());
    }
    let tools = [
        ("/usr/bin/docker-registry", "docker-registry"),
        ("/usr/sbin/dockerd", "docker.io"),
    ];
    for (path, package) in tools {
        if !Path::new(path).exists() {
            return Some(format!("{path} is missing (apt-get install {package})"));
        }
    }
    for (tool, package) in [
        ("htpasswd", "apache2-utils"),
        ("nsenter", "util-linux"),
        ("unshare", "util-linux"),
        ("ip", "iproute2"),
        ("iptables", "iptables"),
        ("openssl", "openssl"),
        ("curl", "curl"),
    ] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        if !found {
            return Some(format!("{tool} is missing (apt-get install {package})"));
        }
    }
    None
}

fn run_script<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(script())
        .args(args)
        .output()
        .expect("cannot run scripts/test-cluster")
}

impl Cluster {
    /// Starts a cluster of `n` hosts (`scripts/test-cluster up N DIR` into a fresh folder under
    /// /tmp). When this machine cannot run one (not root, no docker-registry, ...) it panics under
    /// `CI=true` and otherwise prints why and returns `None` (the test skips). Panics when the
    /// script fails.
    pub fn up(n: usize) -> Option<Cluster> {
        Self::start(n, false)
    }

    /// Like [`Cluster::up`], with an OpenSSH sshd on each host (`scripts/test-cluster up N DIR
    /// --ssh`): root logs in with [`Cluster::ssh_key`] only, each session's `DOCKER_HOST` is
    /// that host's engine, and [`Cluster::ssh_host`] is its `ssh://root@ADDRESS` endpoint.
    pub fn up_with_ssh(n: usize) -> Option<Cluster> {
        Self::start(n, true)
    }

    fn start(n: usize, ssh: bool) -> Option<Cluster> {
        let why = cannot_run().or_else(|| {
            (ssh && !Path::new("/usr/sbin/sshd").exists())
                .then(|| "/usr/sbin/sshd is missing (apt-get install openssh-server)".to_string())
        });
        if let Some(why) = why {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(!ci, "the test cluster cannot run under CI=true: {why}");
            eprintln!("skipped: the test cluster cannot run here: {why}");
            return None;
        }
        crate::docker::ensure_engine();
        // Short: containerd's socket paths under DIR must stay under 108 bytes.
        let tmp = tempfile::Builder::new()
            .prefix("tc.")
            .tempdir_in("/tmp")
            .expect("cannot make a folder under /tmp");
        let dir = tmp.path().to_path_buf();
        let count = n.to_string();
        let mut args = vec![OsStr::new("up"), OsStr::new(&count), dir.as_os_str()];
        if ssh {
            args.push(OsStr::new("--ssh"));
        }
        let out = run_script(args);
        assert!(
            out.status.success(),
            "scripts/test-cluster up {n} {}{} failed:\n{}",
            dir.display(),
            if ssh { " --ssh" } else { "" },
            String::from_utf8_lossy(&out.stderr)
        );
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("cannot read {}/{file}: {e}", dir.display()))
        };
        let nodes: Vec<Node> = read("nodes")
            .lines()
            .map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(f.len(), 3, "bad line in nodes: {line:?}");
                Node {
                    name: f[0].into(),
                    address: f[1].into(),
                    docker_host: f[2].into(),
                }
            })
            .collect();
        let registry = read("registry");
        let r: Vec<&str> = registry.split_whitespace().collect();
        assert_eq!(r.len(), 3, "bad registry file: HOST:PORT USER PASSWORD");
        let state = read(".cluster");
        let field = |key: &str| {
            state
                .lines()
                .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
                .unwrap_or_else(|| panic!("no {key} in {}/.cluster", dir.display()))
                .to_string()
        };
        let ssh_nodes: Vec<(String, String)> = if ssh {
            read("ssh-nodes")
                .lines()
                .map(|line| {
                    let (name, host) = line
                        .split_once(' ')
                        .unwrap_or_else(|| panic!("bad line in ssh-nodes: {line:?}"));
                    (name.to_string(), host.to_string())
                })
                .collect()
        } else {
            Vec::new()
        };
        let cluster = Cluster {
            ssh: ssh_nodes,
            nodes,
            registry: (r[0].into(), r[1].into(), r[2].into()),
            bridge: field("bridge"),
            bridge_ip: field("ip"),
            dir,
            _tmp: tmp,
        };
        assert_eq!(
            cluster.nodes.len(),
            n,
            "scripts/test-cluster wrote {n} nodes"
        );
        Some(cluster)
    }

    /// The cluster's folder (DIR of scripts/test-cluster).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its hosts, `node1..nodeN` in order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The host called `name`; panics when there is none.
    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no host {name} in the test cluster"))
    }

    /// Host `name`'s `ssh://root@ADDRESS` endpoint; panics unless the cluster was started with
    /// [`Cluster::up_with_ssh`].
    pub fn ssh_host(&self, name: &str) -> &str {
        self.ssh
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, h)| h.as_str())
            .unwrap_or_else(|| panic!("no ssh endpoint for {name}: start with up_with_ssh"))
    }

    /// The private key every host's sshd accepts for root (`DIR/id_ed25519`, mode 0600).
    pub fn ssh_key(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    /// A known_hosts file with every host's key under its address (`DIR/known_hosts`).
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    /// The registry: (`HOST:PORT`, user, password).
    pub fn registry(&self) -> (&str, &str, &str) {
        (&self.registry.0, &self.registry.1, &self.registry.2)
    }

    /// The registry's CA certificate (also in `/etc/docker/certs.d/HOST:PORT/ca.crt`).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("registry-ca.crt")
    }

    /// The bridge of ours the hosts hang on (`dkc` + 6 hex).
    pub fn bridge(&self) -> &str {
        &self.bridge
    }

    /// The bridge's address in the root namespace (the registry listens there).
    pub fn bridge_ip(&self) -> &str {
        &self.bridge_ip
    }

    /// The network namespace of host `name` (`ip netns exec` takes it; dockerd needs nsenter).
    pub fn netns(&self, name: &str) -> String {
        format!("{}-{}", self.bridge, self.node(name).name)
    }

    fn link(&self, cmd: &str, name: &str) {
        let out = run_script([OsStr::new(cmd), self.dir.as_os_str(), OsStr::new(name)]);
        assert!(
            out.status.success(),
            "scripts/test-cluster {cmd} {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Takes host `name` off the network (its link down).
    pub fn cut(&self, name: &str) {
        self.link("cut", name);
    }

    /// Puts host `name` back on the network.
    pub fn heal(&self, name: &str) {
        self.link("heal", name);
    }

    /// Runs the docker CLI against host `name`'s engine, with that host's DOCKER_CONFIG (already
    /// logged in to the registry, so `pull` and `--with-registry-auth` work).
    pub fn docker<I, S>(&self, name: &str, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let node = self.node(name);
        Command::new("docker")
            .arg("-H")
            .arg(&node.docker_host)
            .args(args)
            .env(
                "DOCKER_CONFIG",
                self.dir.join(&node.name).join("docker-config"),
            )
            .output()
            .expect("cannot run docker")
    }

    /// The DOCKER_CONFIG folder the main engine's CLI uses to push to the registry (logged in).
    pub fn main_docker_config(&self) -> PathBuf {
        self.dir.join("docker-config")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let out = run_script([OsStr::new("down"), self.dir.as_os_str()]);
        if !out.status.success() {
            // No panic here: Drop may run while a test is already panicking.
            eprintln!(
                "scripts/test-cluster down {} failed: {}",
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
