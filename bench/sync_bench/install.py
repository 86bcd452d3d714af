"""Installs the peers when they are missing: git and subversion from Debian
(apt-get, as root, non-interactive), PouchDB from npm into a cache directory
outside the repository, pinned by bench/pouch/package-lock.json. A peer that
cannot be installed is reported as not available, never as a crash."""

import filecmp
import os
import shutil
import subprocess

POUCH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pouch")
_apt_updated = False


def _apt_install(packages, log):
    global _apt_updated
    if os.geteuid() != 0:
        return "not root: cannot apt-get install " + " ".join(packages)
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for attempt in range(2):
        if attempt == 1 or not _apt_updated:
            log(f"  apt-get update (for {' '.join(packages)})")
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=600)
            _apt_updated = True
        log(f"  apt-get -y install {' '.join(packages)}")
        r = subprocess.run(["apt-get", "-y", "-qq", "install", *packages], capture_output=True, env=env,
                           timeout=1200)
        if r.returncode == 0:
            return None
    return f"apt-get install {' '.join(packages)} failed: {r.stderr.decode(errors='replace')[-300:]}"


def _need(commands, packages, log):
    if all(shutil.which(c) for c in commands):
        return None
    err = _apt_install(packages, log)
    if err:
        return err
    missing = [c for c in commands if not shutil.which(c)]
    return f"still missing after install: {', '.join(missing)}" if missing else None


def ensure_git(log):
    return _need(["git"], ["git"], log)


def ensure_svn(log):
    return _need(["svnadmin", "svnsync", "svnserve", "svnlook"], ["subversion"], log)


def ensure_pouch(node_dir, log):
    """npm ci of bench/pouch into `node_dir` unless it already holds that lock file."""
    err = _need(["node", "npm"], ["nodejs", "npm"], log)
    if err:
        return err
    lock = os.path.join(POUCH_DIR, "package-lock.json")
    installed_lock = os.path.join(node_dir, "package-lock.json")
    modules = os.path.join(node_dir, "node_modules")
    if not (os.path.isdir(modules) and os.path.exists(installed_lock)
            and filecmp.cmp(lock, installed_lock, shallow=False)):
        os.makedirs(node_dir, exist_ok=True)
        shutil.copy(os.path.join(POUCH_DIR, "package.json"), node_dir)
        shutil.copy(lock, node_dir)
        log(f"  npm ci in {node_dir}")
        try:
            r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir,
                               capture_output=True, timeout=900)
        except subprocess.TimeoutExpired:
            return "npm ci timed out"
        if r.returncode != 0:
            return f"npm ci failed: {r.stderr.decode(errors='replace')[-300:]}"
    env = dict(os.environ, NODE_PATH=modules)
    r = subprocess.run(["node", "-e", "require('pouchdb-node'); require('express-pouchdb')"], env=env,
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        return f"PouchDB modules do not load: {r.stderr.decode(errors='replace')[-300:]}"
    return None
