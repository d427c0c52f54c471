/*
 * appimage-runtime: a small AppImage type-2 runtime for the libsocketio AppImage.
 *
 * Written for this project from the public AppImage type-2 specification:
 *   - the runtime is an ELF executable whose e_ident bytes 8..10 are 'A', 'I', 0x02
 *     (patched in after linking, see CMakeLists.txt);
 *   - a SquashFS image is appended right after the ELF, at
 *     offset = e_shoff + e_shnum * e_shentsize;
 *   - the image root holds AppRun, which is started with the AppImage's arguments and the
 *     environment APPIMAGE (absolute path of the AppImage), APPDIR (root of the image contents),
 *     ARGV0 (argv[0] as invoked) and OWD (the working directory at start).
 *
 * Default: mount the image read-only with FUSE (squashfuse's low-level operations on libfuse3,
 * served by this process) on a fresh temporary directory, run AppRun as a child, serve the file
 * system until the child exits, unmount, remove the directory and exit with the child's status.
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT are forwarded to the child. Without usable FUSE (no /dev/fuse, no
 * fusermount3, mount refused) it says so in one line on stderr and falls back to extract-and-run.
 *
 * Options (first argument only, named as in the AppImage runtime):
 *   --appimage-extract [PATTERN]  extract (the entries matching the fnmatch PATTERN) to ./squashfs-root
 *   --appimage-extract-and-run    extract to a private temporary directory, run AppRun, delete it
 *                                 (also when APPIMAGE_EXTRACT_AND_RUN=1)
 *   --appimage-mount              mount, print the mount point, serve until SIGINT/SIGTERM
 *   --appimage-offset             print the offset of the SquashFS image
 *   --appimage-help, --appimage-version
 */
#define _GNU_SOURCE

#include <squashfuse/ll.h>

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNTIME_NAME "socketio-appimage-runtime"
#define RUNTIME_VERSION "1.0"

static const char *g_prog = "appimage";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(127);
}

/* ---------- locating the image ---------- */

static int read_full(int fd, void *buf, size_t len, off_t at)
{
    size_t done = 0;
    while (done < len) {
        const ssize_t n = pread(fd, (char *)buf + done, len - done, at + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* End of the ELF file (where the SquashFS image starts); -1 with *why set on error. */
static long long elf_end(const char *path, const char **why)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = strerror(errno);
        return -1;
    }
    unsigned char ident[EI_NIDENT];
    long long end = -1;
    if (read_full(fd, ident, sizeof ident, 0) != 0 || memcmp(ident, ELFMAG, SELFMAG) != 0) {
        *why = "not an ELF file";
    } else if (ident[EI_DATA] != ELFDATA2LSB) {
        *why = "not a little-endian ELF file";
    } else if (ident[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        if (read_full(fd, &eh, sizeof eh, 0) == 0)
            end = (long long)eh.e_shoff + (long long)eh.e_shnum * eh.e_shentsize;
        else
            *why = "truncated ELF header";
    } else if (ident[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr eh;
        if (read_full(fd, &eh, sizeof eh, 0) == 0)
            end = (long long)eh.e_shoff + (long long)eh.e_shnum * eh.e_shentsize;
        else
            *why = "truncated ELF header";
    } else {
        *why = "unknown ELF class";
    }
    close(fd);
    return end;
}

/* Checks that a complete SquashFS image starts at offset; exits with a clear message otherwise. */
static void check_image(const char *appimage, long long offset)
{
    const int fd = open(appimage, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open %s: %s", appimage, strerror(errno));
    struct stat st;
    struct squashfs_super_block sb;
    if (fstat(fd, &st) != 0)
        die("cannot stat %s: %s", appimage, strerror(errno));
    if ((long long)st.st_size < offset + (long long)sizeof sb)
        die("%s: no SquashFS image after the runtime (file ends at %lld, image expected at offset %lld)",
            appimage, (long long)st.st_size, offset);
    if (read_full(fd, &sb, sizeof sb, (off_t)offset) != 0)
        die("%s: cannot read the SquashFS superblock at offset %lld", appimage, offset);
    close(fd);
    if (le32toh(sb.s_magic) != SQUASHFS_MAGIC)
        die("%s: invalid or corrupt AppImage: no SquashFS magic at offset %lld", appimage, offset);
    const unsigned long long used = le64toh(sb.bytes_used);
    /* offset <= st_size holds (checked above); compared this way a crafted bytes_used cannot wrap */
    if (used > (unsigned long long)st.st_size - (unsigned long long)offset)
        die("%s: truncated AppImage: the SquashFS image needs %llu bytes after offset %lld, the file has %lld",
            appimage, used, offset, (long long)(st.st_size - offset));
}

/* ---------- environment and child ---------- */

static char g_appimage[PATH_MAX];
static char g_owd[PATH_MAX];
static const char *g_argv0 = "";

static void exec_apprun(const char *appdir, int argc, char **argv)
{
    char apprun[PATH_MAX];
    if (snprintf(apprun, sizeof apprun, "%s/AppRun", appdir) >= (int)sizeof apprun)
        die("path too long: %s", appdir);
    setenv("APPIMAGE", g_appimage, 1);
    setenv("APPDIR", appdir, 1);
    setenv("ARGV0", g_argv0, 1);
    setenv("OWD", g_owd, 1);

    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        die("out of memory");
    args[0] = apprun;
    for (int i = 0; i < argc; ++i)
        args[i + 1] = argv[i];
    execv(apprun, args);
    fprintf(stderr, "%s: cannot execute %s: %s\n", g_prog, apprun, strerror(errno));
    _exit(127);
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

static sigset_t g_handled;

/* Blocks the signals we forward and returns a signalfd for them (plus SIGCHLD). */
static int block_signals(void)
{
    sigemptyset(&g_handled);
    sigaddset(&g_handled, SIGCHLD);
    sigaddset(&g_handled, SIGINT);
    sigaddset(&g_handled, SIGTERM);
    sigaddset(&g_handled, SIGHUP);
    sigaddset(&g_handled, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, &g_handled, NULL) != 0)
        die("sigprocmask: %s", strerror(errno));
    const int sfd = signalfd(-1, &g_handled, SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd: %s", strerror(errno));
    return sfd;
}

static pid_t spawn_apprun(const char *appdir, int argc, char **argv)
{
    const pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &g_handled, NULL);
        exec_apprun(appdir, argc, argv);
    }
    return pid;
}

/* Handles one signalfd event; returns 1 when the child has terminated (status in *status). */
static int on_signal(int sfd, pid_t child, int *status)
{
    struct signalfd_siginfo si;
    const ssize_t n = read(sfd, &si, sizeof si);
    if (n != (ssize_t)sizeof si)
        return 0;
    if (si.ssi_signo == SIGCHLD) {
        if (child <= 0)
            return 0;
        const pid_t r = waitpid(child, status, WNOHANG);
        return r == child;
    }
    if (child > 0)
        kill(child, (int)si.ssi_signo);
    else
        return 1; /* --appimage-mount: stop serving */
    return 0;
}

/* ---------- extraction ---------- */

/* A relative path without "..", "." or empty components: safe to create below the target. */
static int safe_relative(const char *p)
{
    if (!p || !*p || p[0] == '/')
        return 0;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        const size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        if (!e)
            break;
        s = e + 1;
    }
    return 1;
}

/* mkdir that accepts an existing real directory but never a symlink or other file in its place. */
static int ensure_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Creates the parent directories of root/rel (rel already checked by safe_relative). */
static int ensure_parents(const char *root, const char *rel)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s/%s", root, rel) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *p = buf + strlen(root) + 1;
    for (char *slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        const int r = ensure_dir(buf, 0755);
        *slash = '/';
        if (r != 0)
            return -1;
    }
    return 0;
}

static int extract_file(sqfs *fs, sqfs_inode *inode, const char *dest, mode_t perm)
{
    unlink(dest); /* replace whatever was there, never write through a symlink */
    const int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    static char buf[1 << 17];
    const uint64_t size = inode->xtra.reg.file_size;
    uint64_t pos = 0;
    int rc = 0;
    while (pos < size) {
        sqfs_off_t chunk = (sqfs_off_t)((size - pos) < sizeof buf ? (size - pos) : sizeof buf);
        if (sqfs_read_range(fs, inode, (sqfs_off_t)pos, &chunk, buf) != SQFS_OK || chunk <= 0) {
            errno = EIO;
            rc = -1;
            break;
        }
        size_t written = 0;
        while (written < (size_t)chunk) {
            const ssize_t n = write(fd, buf + written, (size_t)chunk - written);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = -1;
                break;
            }
            written += (size_t)n;
        }
        if (rc != 0)
            break;
        pos += (uint64_t)chunk;
    }
    if (rc == 0 && fchmod(fd, perm) != 0)
        rc = -1;
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    return rc;
}

/* Extracts the image (entries matching pattern, or all) below root. Returns the number of errors. */
static int extract_image(const char *appimage, long long offset, const char *root, const char *pattern)
{
    sqfs fs;
    if (sqfs_open_image(&fs, appimage, (size_t)offset) != SQFS_OK)
        die("%s: invalid or corrupt AppImage: cannot open the SquashFS image at offset %lld", appimage, offset);
    if (ensure_dir(root, 0755) != 0)
        die("cannot create %s: %s", root, strerror(errno));

    sqfs_traverse trv;
    if (sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs)) != SQFS_OK)
        die("%s: corrupt SquashFS image (root directory unreadable)", appimage);

    int errors = 0;
    sqfs_err err = SQFS_OK;
    char dest[PATH_MAX];
    while (sqfs_traverse_next(&trv, &err)) {
        if (trv.dir_end)
            continue;
        const char *rel = trv.path;
        if (!safe_relative(rel)) {
            fprintf(stderr, "%s: skipping unsafe path in image: %s\n", g_prog, rel);
            ++errors;
            sqfs_traverse_prune(&trv);
            continue;
        }
        if (pattern && fnmatch(pattern, rel, 0) != 0)
            continue;
        if (snprintf(dest, sizeof dest, "%s/%s", root, rel) >= (int)sizeof dest) {
            fprintf(stderr, "%s: path too long: %s\n", g_prog, rel);
            ++errors;
            continue;
        }
        sqfs_inode inode;
        if (sqfs_inode_get(&fs, &inode, sqfs_dentry_inode(&trv.entry)) != SQFS_OK) {
            fprintf(stderr, "%s: corrupt inode for %s\n", g_prog, rel);
            ++errors;
            continue;
        }
        if (ensure_parents(root, rel) != 0) {
            fprintf(stderr, "%s: cannot create the directories of %s: %s\n", g_prog, dest, strerror(errno));
            ++errors;
            continue;
        }
        const mode_t type = sqfs_mode(inode.base.inode_type) & S_IFMT;
        /* no setuid/setgid/sticky bits: an extracted file must not gain privileges */
        const mode_t perm = (mode_t)(inode.base.mode & 0777);
        if (type == S_IFDIR) {
            /* owner keeps rwx so that contents can be written and the tree deleted again */
            if (ensure_dir(dest, 0755) != 0 || chmod(dest, perm | 0700) != 0) {
                fprintf(stderr, "%s: cannot create directory %s: %s\n", g_prog, dest, strerror(errno));
                ++errors;
                sqfs_traverse_prune(&trv);
            }
        } else if (type == S_IFREG) {
            if (extract_file(&fs, &inode, dest, perm) != 0) {
                fprintf(stderr, "%s: cannot extract %s: %s\n", g_prog, rel, strerror(errno));
                ++errors;
            }
        } else if (type == S_IFLNK) {
            size_t size = inode.xtra.symlink_size + 1;
            char *target = malloc(size);
            if (!target || sqfs_readlink(&fs, &inode, target, &size) != SQFS_OK) {
                fprintf(stderr, "%s: corrupt symlink %s\n", g_prog, rel);
                ++errors;
            } else {
                unlink(dest);
                if (symlink(target, dest) != 0) {
                    fprintf(stderr, "%s: cannot create symlink %s: %s\n", g_prog, dest, strerror(errno));
                    ++errors;
                }
            }
            free(target);
        } else {
            fprintf(stderr, "%s: skipping special file %s\n", g_prog, rel);
        }
    }
    if (err != SQFS_OK) {
        fprintf(stderr, "%s: corrupt SquashFS image: directory traversal failed\n", g_prog);
        ++errors;
    }
    sqfs_traverse_close(&trv);
    sqfs_destroy(&fs);
    close(fs.fd);   /* sqfs_destroy() leaves it open (and it has no FD_CLOEXEC): not for AppRun */
    return errors;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return (t && *t) ? t : "/tmp";
}

static int extract_and_run(long long offset, int argc, char **argv)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/appimage_extracted_XXXXXX", tmp_base()) >= (int)sizeof dir)
        die("TMPDIR too long");
    if (!mkdtemp(dir))
        die("cannot create a temporary directory in %s: %s", tmp_base(), strerror(errno));
    const int sfd = block_signals();
    if (extract_image(g_appimage, offset, dir, NULL) != 0) {
        remove_tree(dir);
        die("%s: extraction failed, not running it", g_appimage);
    }
    const pid_t child = spawn_apprun(dir, argc, argv);
    int status = 0;
    for (;;) {
        struct pollfd p = {.fd = sfd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        if (on_signal(sfd, child, &status))
            break;
    }
    remove_tree(dir);
    return exit_code(status);
}

/* ---------- FUSE ---------- */

static const char *fuse_unusable(void)
{
    static char why[256];
    if (access("/dev/fuse", R_OK | W_OK) != 0) {
        snprintf(why, sizeof why, "/dev/fuse: %s", strerror(errno));
        return why;
    }
    if (geteuid() != 0) {
        const char *path = getenv("PATH");
        char buf[PATH_MAX];
        int found = 0;
        if (access("/bin/fusermount3", X_OK) == 0 || access("/usr/bin/fusermount3", X_OK) == 0)
            found = 1;
        while (!found && path && *path) {
            const char *e = strchr(path, ':');
            const size_t len = e ? (size_t)(e - path) : strlen(path);
            if (len > 0 && len < sizeof buf - 16) {
                memcpy(buf, path, len);
                strcpy(buf + len, "/fusermount3");
                found = access(buf, X_OK) == 0;
            }
            path = e ? e + 1 : NULL;
        }
        if (!found)
            return "fusermount3 not found (install fuse3)";
    }
    return NULL;
}

typedef struct {
    char dir[PATH_MAX];
    sqfs_ll *ll;
    struct fuse_session *se;
} mount_state;

/* Mounts the image; returns 0, or -1 after printing why (state cleaned up). */
static int mount_image(long long offset, mount_state *m)
{
    static struct fuse_lowlevel_ops ops;
    memset(&ops, 0, sizeof ops);
    ops.getattr = sqfs_ll_op_getattr;
    ops.opendir = sqfs_ll_op_opendir;
    ops.releasedir = sqfs_ll_op_releasedir;
    ops.readdir = sqfs_ll_op_readdir;
    ops.lookup = sqfs_ll_op_lookup;
    ops.open = sqfs_ll_op_open;
    ops.create = sqfs_ll_op_create;
    ops.release = sqfs_ll_op_release;
    ops.read = sqfs_ll_op_read;
    ops.readlink = sqfs_ll_op_readlink;
    ops.listxattr = sqfs_ll_op_listxattr;
    ops.getxattr = sqfs_ll_op_getxattr;
    ops.forget = sqfs_ll_op_forget;
    ops.statfs = stfs_ll_op_statfs;

    m->ll = sqfs_ll_open(g_appimage, (size_t)offset);
    if (!m->ll)
        die("%s: invalid or corrupt AppImage: cannot open the SquashFS image at offset %lld", g_appimage, offset);
    fcntl(m->ll->fs.fd, F_SETFD, FD_CLOEXEC);

    if (snprintf(m->dir, sizeof m->dir, "%s/.mount_socketioXXXXXX", tmp_base()) >= (int)sizeof m->dir)
        die("TMPDIR too long");
    if (!mkdtemp(m->dir))
        die("cannot create a mount point in %s: %s", tmp_base(), strerror(errno));

    char *fargv[] = {(char *)g_prog, (char *)"-o", (char *)"ro,subtype=appimage", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    m->se = fuse_session_new(&args, &ops, sizeof ops, m->ll);
    fuse_opt_free_args(&args);
    if (m->se && fuse_session_mount(m->se, m->dir) == 0) {
        fcntl(fuse_session_fd(m->se), F_SETFD, FD_CLOEXEC);
        return 0;
    }
    if (m->se)
        fuse_session_destroy(m->se);
    m->se = NULL;
    rmdir(m->dir);
    sqfs_ll_destroy(m->ll);
    free(m->ll);
    m->ll = NULL;
    return -1;
}

static void unmount_image(mount_state *m)
{
    fuse_session_unmount(m->se);
    fuse_session_destroy(m->se);
    sqfs_ll_destroy(m->ll);
    free(m->ll);
    rmdir(m->dir);
}

/* Serves FUSE requests until the child terminates (or, without child, until a signal). */
static int serve(mount_state *m, int sfd, pid_t child)
{
    struct fuse_buf buf;
    memset(&buf, 0, sizeof buf);
    int status = 0;
    int done = 0;
    while (!done) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = fuse_session_fd(m->se), .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents & POLLIN)
            done = on_signal(sfd, child, &status);
        if (!done && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
            const int r = fuse_session_receive_buf(m->se, &buf);
            if (r == -EINTR || r == -EAGAIN)
                continue;
            if (r <= 0) { /* unmounted from outside, or the device failed */
                if (child > 0) {
                    waitpid(child, &status, 0);
                }
                done = 1;
                break;
            }
            fuse_session_process_buf(m->se, &buf);
        }
    }
    /* the kernel sends RELEASE/FORGET for the exited program's files right after it died: answer them */
    for (;;) {
        struct pollfd p = {.fd = fuse_session_fd(m->se), .events = POLLIN};
        if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN))
            break;
        const int r = fuse_session_receive_buf(m->se, &buf);
        if (r <= 0)
            break;
        fuse_session_process_buf(m->se, &buf);
    }
    free(buf.mem);
    return status;
}

/* ---------- main ---------- */

static void usage(void)
{
    printf("AppImage runtime (%s %s)\n\n"
           "Usage: %s [--appimage-OPTION | ARGS...]\n"
           "Without an --appimage- option the AppImage is mounted read-only (FUSE) and AppRun runs with ARGS.\n\n"
           "  --appimage-extract [PATTERN]  extract the contents (matching PATTERN) to ./squashfs-root\n"
           "  --appimage-extract-and-run    extract to a temporary directory, run, delete it afterwards\n"
           "                                (also with APPIMAGE_EXTRACT_AND_RUN=1, or when FUSE is unusable)\n"
           "  --appimage-mount              mount the image, print the mount point, wait until interrupted\n"
           "  --appimage-offset             print the offset of the embedded SquashFS image\n"
           "  --appimage-help               this help\n"
           "  --appimage-version            print the runtime version\n\n"
           "Exit status: the program's (128+N if it died of signal N); 127 when the AppImage cannot be\n"
           "started (broken or truncated image, no AppRun); 1 when --appimage-extract had errors.\n"
           "TMPDIR chooses where mount points and extraction directories are created.\n",
           RUNTIME_NAME, RUNTIME_VERSION, g_prog);
}

int main(int argc, char *argv[])
{
    g_argv0 = argv[0] ? argv[0] : "";
    const char *slash = strrchr(g_argv0, '/');
    g_prog = slash ? slash + 1 : g_argv0;
    if (!*g_prog)
        g_prog = "appimage";

    /* APPIMAGE may be preset only by a wrapper that knows better; /proc/self/exe is the truth */
    const ssize_t n = readlink("/proc/self/exe", g_appimage, sizeof g_appimage - 1);
    if (n <= 0)
        die("cannot find the AppImage itself (/proc/self/exe): %s", strerror(errno));
    g_appimage[n] = '\0';
    if (!getcwd(g_owd, sizeof g_owd))
        g_owd[0] = '\0';

    const char *why = NULL;
    const long long offset = elf_end(g_appimage, &why);
    if (offset < 0)
        die("%s: %s", g_appimage, why);

    const char *opt = argc > 1 ? argv[1] : NULL;
    if (opt && strncmp(opt, "--appimage-", 11) == 0) {
        if (strcmp(opt, "--appimage-offset") == 0) {
            printf("%lld\n", offset);
            return 0;
        }
        if (strcmp(opt, "--appimage-help") == 0) {
            usage();
            return 0;
        }
        if (strcmp(opt, "--appimage-version") == 0) {
            printf("%s %s\n", RUNTIME_NAME, RUNTIME_VERSION);
            return 0;
        }
        check_image(g_appimage, offset);
        if (strcmp(opt, "--appimage-extract") == 0) {
            const int errors = extract_image(g_appimage, offset, "squashfs-root", argc > 2 ? argv[2] : NULL);
            if (errors) {
                fprintf(stderr, "%s: %d error(s) while extracting\n", g_prog, errors);
                return 1;
            }
            return 0;
        }
        if (strcmp(opt, "--appimage-extract-and-run") == 0)
            return extract_and_run(offset, argc - 2, argv + 2);
        if (strcmp(opt, "--appimage-mount") == 0) {
            const char *bad = fuse_unusable();
            if (bad)
                die("cannot mount: FUSE is not usable: %s", bad);
            mount_state m;
            const int sfd = block_signals();
            if (mount_image(offset, &m) != 0)
                die("cannot mount the image with FUSE");
            printf("%s\n", m.dir);
            fflush(stdout);
            serve(&m, sfd, 0);
            unmount_image(&m);
            return 0;
        }
        fprintf(stderr, "%s: unknown option %s (see --appimage-help)\n", g_prog, opt);
        return 1;
    }

    check_image(g_appimage, offset);
    const char *ear = getenv("APPIMAGE_EXTRACT_AND_RUN");
    if (ear && strcmp(ear, "1") == 0)
        return extract_and_run(offset, argc - 1, argv + 1);

    const char *bad = fuse_unusable();
    if (bad) {
        fprintf(stderr, "%s: FUSE not usable (%s); falling back to extract-and-run\n", g_prog, bad);
        return extract_and_run(offset, argc - 1, argv + 1);
    }
    mount_state m;
    const int sfd = block_signals();
    if (mount_image(offset, &m) != 0) {
        fprintf(stderr, "%s: FUSE mount failed; falling back to extract-and-run\n", g_prog);
        sigprocmask(SIG_UNBLOCK, &g_handled, NULL);
        close(sfd);
        return extract_and_run(offset, argc - 1, argv + 1);
    }
    const pid_t child = spawn_apprun(m.dir, argc - 1, argv + 1);
    const int status = serve(&m, sfd, child);
    unmount_image(&m);
    return exit_code(status);
}
