#include "engineio/epolleventdispatcher.h"

#if defined(__linux__)

#include "engineio/enginelogging_p.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <QVarLengthArray>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace SocketIo {

namespace {

constexpr qint64 NsPerMs = 1000 * 1000;
constexpr int NotifierTypes = 3;   // QSocketNotifier::Read, Write, Exception
constexpr size_t MaxEventsPerPass = 16384;

qint64 monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000 * NsPerMs + ts.tv_nsec;
}

// The readiness that activates each notifier type, as Qt's UNIX dispatcher maps poll(2)'s revents.
constexpr uint32_t activatingEvents[NotifierTypes] = {
    EPOLLIN | EPOLLHUP | EPOLLERR,    // Read
    EPOLLOUT | EPOLLHUP | EPOLLERR,   // Write
    EPOLLPRI | EPOLLHUP | EPOLLERR,   // Exception
};
constexpr uint32_t watchedEvents[NotifierTypes] = {EPOLLIN, EPOLLOUT, EPOLLPRI};

} // namespace

class EpollEventDispatcherPrivate
{
public:
    // Timers in deadline order; equal deadlines in the order they were scheduled, as Qt's list.
    struct DeadlineKey
    {
        qint64 deadline;   // monotonic ns
        quint64 sequence;
        int id;
        bool operator<(const DeadlineKey &other) const
        {
            return deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence;
        }
    };

    struct Timer
    {
        qint64 intervalMs = 0;
        qint64 deadline = 0;   // monotonic ns
        quint64 sequence = 0;
        QObject *object = nullptr;
        Qt::TimerType type = Qt::CoarseTimer;
        bool firing = false;   // its timerEvent() is running (a nested loop does not fire it again)
        DeadlineKey key(int id) const { return {deadline, sequence, id}; }
    };

    // The notifiers of one descriptor. A serial per registration tells a notifier that is still
    // registered from one unregistered (and perhaps registered again) since its readiness was read.
    struct Watch
    {
        QSocketNotifier *notifiers[NotifierTypes] = {};
        quint64 serials[NotifierTypes] = {};
        uint32_t events = 0;   // what epoll watches for
        quint8 pending = 0;    // bit per type: queued for activation
        bool inEpoll = false;
        bool writeInEpoll = false;   // the write notifier waits in epoll (a probe found the socket full)
        bool probing = false;        // in probes
        bool unpollable = false;   // epoll refuses it (a regular file): ready on every pass
    };

    struct Activation
    {
        int fd;
        int type;
        QSocketNotifier *notifier;
        quint64 serial;
        bool probed;   // a write readiness found by probeWrites(), not by epoll
    };

    EpollEventDispatcherPrivate();
    ~EpollEventDispatcherPrivate();

    void updateWatch(int fd, Watch &watch, bool force = false);
    void drainWakeUps();
    qint64 nsToNextTimer(qint64 now) const;   // -1: no timer
    void schedule(int id, Timer &timer, qint64 deadline);
    int activateTimers();
    int activatePending();
    void queue(int fd, Watch &watch, uint32_t revents);
    void enqueue(int fd, Watch &watch, int type, bool probed);
    void probe(int fd, Watch &watch);
    void probeWrites();
    void eraseTimer(std::unordered_map<int, Timer>::iterator it);

    int epollFd = -1;
    int wakeFd = -1;
    std::atomic<bool> wakePending{false};
    std::atomic<bool> interrupted{false};

    std::unordered_map<int, Timer> timers;
    std::set<DeadlineKey> deadlines;
    quint64 nextSequence = 0;
    std::unordered_map<int, Watch> watches;   // by descriptor
    std::vector<int> unpollable;              // descriptors with Watch::unpollable
    std::vector<epoll_event> events;
    quint64 nextSerial = 0;
    // Notifiers to activate, shared by nested passes as Qt's pending list is: a nested loop run by
    // a handler activates what the outer pass had queued, and the outer pass does not again.
    std::vector<Activation> pending;
    size_t pendingHead = 0;
    // Write notifiers are not handed to epoll when enabled: Qt enables one for every write and
    // disables it once the bytes are out, two epoll_ctl calls per message. A socket is nearly always
    // writable, so newly enabled write notifiers are probed together with one poll(2) before the
    // next wait; only a socket found full is watched by epoll until its notifier is disabled.
    std::vector<int> probes;
    std::vector<pollfd> probeFds;
};

EpollEventDispatcherPrivate::EpollEventDispatcherPrivate()
    : events(256)
{
    epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (epollFd < 0)
        qFatal("EpollEventDispatcher: epoll_create1: %s", std::strerror(errno));
    wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakeFd < 0)
        qFatal("EpollEventDispatcher: eventfd: %s", std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakeFd;
    if (epoll_ctl(epollFd, EPOLL_CTL_ADD, wakeFd, &ev) != 0)
        qFatal("EpollEventDispatcher: epoll_ctl: %s", std::strerror(errno));
}

EpollEventDispatcherPrivate::~EpollEventDispatcherPrivate()
{
    ::close(wakeFd);
    ::close(epollFd);
}

void EpollEventDispatcherPrivate::updateWatch(int fd, Watch &watch, bool force)
{
    uint32_t wanted = 0;
    for (int type = 0; type < NotifierTypes; ++type) {
        if (watch.notifiers[type] && (type != QSocketNotifier::Write || watch.writeInEpoll || watch.unpollable))
            wanted |= watchedEvents[type];
    }
    if (watch.unpollable || (watch.inEpoll && wanted == watch.events && !force)) {
        watch.events = wanted;
        return;
    }
    if (!wanted) {
        // Fails harmlessly when the descriptor was closed first (the kernel dropped it already).
        if (watch.inEpoll)
            epoll_ctl(epollFd, EPOLL_CTL_DEL, fd, nullptr);
        watch.inEpoll = false;
        watch.events = 0;
        return;
    }
    epoll_event ev{};
    ev.events = wanted;
    ev.data.fd = fd;
    int op = watch.inEpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(epollFd, op, fd, &ev);
    if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) {
        // closed and opened again under the same number without telling us
        op = EPOLL_CTL_ADD;
        rc = epoll_ctl(epollFd, op, fd, &ev);
    } else if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST) {
        op = EPOLL_CTL_MOD;
        rc = epoll_ctl(epollFd, op, fd, &ev);
    }
    if (rc == 0) {
        watch.inEpoll = true;
        watch.events = wanted;
        return;
    }
    if (errno == EPERM) {
        // Regular files and directories are always ready for poll(2); epoll refuses them.
        watch.unpollable = true;
        watch.inEpoll = false;
        watch.events = wanted;
        unpollable.push_back(fd);
        return;
    }
    qCWarning(lcEngine, "EpollEventDispatcher: cannot watch descriptor %d: %s", fd, std::strerror(errno));
    watch.inEpoll = false;
    watch.events = 0;
}

void EpollEventDispatcherPrivate::drainWakeUps()
{
    eventfd_t value = 0;
    (void)eventfd_read(wakeFd, &value);
    // Cleared after the read: a wakeUp() between the two finds the flag set and writes nothing, but
    // what it announced is handled by the next pass's sendPostedEvents(), which comes before any wait.
    wakePending.store(false, std::memory_order_release);
}

qint64 EpollEventDispatcherPrivate::nsToNextTimer(qint64 now) const
{
    for (const DeadlineKey &key : deadlines) {
        const auto it = timers.find(key.id);
        if (it == timers.end() || it->second.firing)
            continue;
        return key.deadline > now ? key.deadline - now : 0;
    }
    return -1;
}

void EpollEventDispatcherPrivate::schedule(int id, Timer &timer, qint64 deadline)
{
    timer.deadline = deadline;
    timer.sequence = ++nextSequence;
    deadlines.insert(timer.key(id));
}

void EpollEventDispatcherPrivate::eraseTimer(std::unordered_map<int, Timer>::iterator it)
{
    deadlines.erase(it->second.key(it->first));
    timers.erase(it);
}

int EpollEventDispatcherPrivate::activateTimers()
{
    if (deadlines.empty())
        return 0;
    const qint64 now = monotonicNs();
    // The timers due now, each fired at most once in this pass, in deadline order; local, since a
    // timer's handler may run a nested event loop that comes back here.
    QVarLengthArray<int, 32> due;
    for (auto it = deadlines.cbegin(); it != deadlines.cend() && it->deadline <= now; ++it)
        due.append(it->id);
    int fired = 0;
    for (const int id : due) {
        auto it = timers.find(id);
        if (it == timers.end())
            continue;   // unregistered by an earlier handler of this pass
        Timer &timer = it->second;
        if (timer.firing || timer.deadline > now)
            continue;   // running in an outer pass, or registered again since
        deadlines.erase(timer.key(id));
        // As Qt's timers: the next deadline one interval after this one, or after now when late.
        qint64 next = timer.deadline + timer.intervalMs * NsPerMs;
        if (next < now)
            next = now + timer.intervalMs * NsPerMs;
        schedule(id, timer, next);
        timer.firing = true;
        QObject *const object = timer.object;
        // As Qt: zero timers (fired on every pass) do not count as work done, so that
        // processEvents() with a zero timer running still reports an idle pass.
        if (timer.intervalMs > 0)
            ++fired;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        const auto after = timers.find(id);   // the handler may have changed the table
        if (after != timers.end())
            after->second.firing = false;
    }
    return fired;
}

void EpollEventDispatcherPrivate::queue(int fd, Watch &watch, uint32_t revents)
{
    for (int type = 0; type < NotifierTypes; ++type) {
        if (watch.notifiers[type] && (revents & activatingEvents[type]))
            enqueue(fd, watch, type, false);
    }
}

// Each registered notifier is in the pending list at most once (its pending bit), whether its
// readiness came from epoll or from a write probe.
void EpollEventDispatcherPrivate::enqueue(int fd, Watch &watch, int type, bool probed)
{
    const quint8 bit = quint8(1u << type);
    if (watch.pending & bit)
        return;
    watch.pending |= bit;
    pending.push_back({fd, type, watch.notifiers[type], watch.serials[type], probed});
}

void EpollEventDispatcherPrivate::probe(int fd, Watch &watch)
{
    if (!watch.probing) {
        watch.probing = true;
        probes.push_back(fd);
    }
}

void EpollEventDispatcherPrivate::probeWrites()
{
    probeFds.clear();
    for (const int fd : probes) {
        const auto it = watches.find(fd);
        if (it == watches.end())
            continue;
        Watch &watch = it->second;
        watch.probing = false;
        if (watch.notifiers[QSocketNotifier::Write] && !watch.writeInEpoll)
            probeFds.push_back({fd, POLLOUT, 0});
    }
    probes.clear();
    if (probeFds.empty())
        return;
    const int n = ::poll(probeFds.data(), nfds_t(probeFds.size()), 0);
    for (const pollfd &p : probeFds) {
        Watch &watch = watches.find(p.fd)->second;   // nothing ran since the loop above
        if (n > 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            enqueue(p.fd, watch, QSocketNotifier::Write, true);
        } else {
            // full, still connecting, or the probe failed (EINTR): epoll watches it from now on
            watch.writeInEpoll = true;
            updateWatch(p.fd, watch);
        }
    }
}

int EpollEventDispatcherPrivate::activatePending()
{
    int activated = 0;
    while (pendingHead < pending.size()) {
        const Activation a = pending[pendingHead++];   // a copy: handlers may queue more (nested passes)
        // An earlier handler may have disabled, deleted or replaced this notifier.
        const auto it = watches.find(a.fd);
        if (it == watches.end() || it->second.notifiers[a.type] != a.notifier || it->second.serials[a.type] != a.serial)
            continue;
        it->second.pending &= quint8(~(1u << a.type));
        // Level-triggered as on Qt's dispatchers: a probed write notifier that stays enabled is asked
        // about again on the next pass (a full socket then goes to epoll). Listed before its handler
        // runs, so that a nested loop started by the handler sees it too; a notifier disabled by
        // then is skipped by the probe.
        if (a.probed && !it->second.writeInEpoll)
            probe(a.fd, it->second);
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(a.notifier, &event);
        ++activated;
    }
    pending.clear();   // keeps its capacity
    pendingHead = 0;
    return activated;
}

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
    , d_ptr(std::make_unique<EpollEventDispatcherPrivate>())
{
}

EpollEventDispatcher::~EpollEventDispatcher() = default;

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    Q_D(EpollEventDispatcher);
    d->interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !d->interrupted.load(std::memory_order_acquire);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (d->interrupted.load(std::memory_order_acquire))
        return false;

    int timeoutMs = 0;
    if (canWait) {
        timeoutMs = -1;
        if (includeTimers) {
            const qint64 ns = d->nsToNextTimer(monotonicNs());
            if (ns >= 0)   // rounded up: waking before the deadline would only come back to wait again
                timeoutMs = int(std::min<qint64>((ns + NsPerMs - 1) / NsPerMs, 24 * 3600 * 1000));
        }
        if (includeNotifiers && !d->unpollable.empty())
            timeoutMs = 0;
    }

    int handled = 0;
    if (includeNotifiers) {
        // Write notifiers to probe: the socket is almost surely writable, so do not wait. They are
        // probed after epoll's readiness is queued, so that reads come first as on Qt's dispatchers.
        if (!d->probes.empty())
            timeoutMs = 0;
        const int n = epoll_wait(d->epollFd, d->events.data(), int(d->events.size()), timeoutMs);
        if (n < 0 && errno != EINTR)
            qCWarning(lcEngine, "EpollEventDispatcher: epoll_wait: %s", std::strerror(errno));
        for (int i = 0; i < n; ++i) {
            const int fd = d->events[size_t(i)].data.fd;
            if (fd == d->wakeFd) {
                d->drainWakeUps();
                ++handled;
                continue;
            }
            const auto it = d->watches.find(fd);
            if (it != d->watches.end())
                d->queue(fd, it->second, d->events[size_t(i)].events);
        }
        if (size_t(n) == d->events.size() && d->events.size() < MaxEventsPerPass)
            d->events.resize(d->events.size() * 2);
        if (!d->probes.empty())
            d->probeWrites();
        for (const int fd : d->unpollable) {
            const auto it = d->watches.find(fd);
            if (it != d->watches.end())
                d->queue(fd, it->second, EPOLLIN | EPOLLOUT);
        }
        handled += d->activatePending();
    } else {
        pollfd wake{d->wakeFd, POLLIN, 0};
        if (::poll(&wake, 1, timeoutMs) > 0) {
            d->drainWakeUps();
            ++handled;
        }
    }

    if (includeTimers)
        handled += d->activateTimers();
    return handled > 0;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_D(EpollEventDispatcher);
    const qintptr socket = notifier->socket();
    const int type = int(notifier->type());
    if (socket < 0 || socket > std::numeric_limits<int>::max() || type < 0 || type >= NotifierTypes) {
        qCWarning(lcEngine, "EpollEventDispatcher: invalid socket notifier for descriptor %lld",
                  static_cast<long long>(socket));
        return;
    }
    const int fd = int(socket);
    auto &watch = d->watches[fd];
    const bool replacing = watch.notifiers[type] != nullptr;
    if (replacing && watch.notifiers[type] != notifier)
        qCWarning(lcEngine, "EpollEventDispatcher: several socket notifiers of one type for descriptor %d", fd);
    watch.notifiers[type] = notifier;
    watch.serials[type] = ++d->nextSerial;
    watch.pending &= quint8(~(1u << type));
    if (type == QSocketNotifier::Write) {
        watch.writeInEpoll = false;
        d->probe(fd, watch);
    }
    // A slot still taken means the descriptor may have been closed and reopened without its notifier
    // being disabled: epoll then forgot it although the mask looks unchanged, so tell epoll again.
    d->updateWatch(fd, watch, replacing);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_D(EpollEventDispatcher);
    const qintptr socket = notifier->socket();
    const int type = int(notifier->type());
    if (socket < 0 || socket > std::numeric_limits<int>::max() || type < 0 || type >= NotifierTypes)
        return;
    const int fd = int(socket);
    const auto it = d->watches.find(fd);
    if (it == d->watches.end() || it->second.notifiers[type] != notifier)
        return;
    EpollEventDispatcherPrivate::Watch &watch = it->second;
    watch.notifiers[type] = nullptr;
    watch.serials[type] = 0;
    watch.pending &= quint8(~(1u << type));
    if (type == QSocketNotifier::Write)
        watch.writeInEpoll = false;
    d->updateWatch(fd, watch);
    if (!watch.notifiers[0] && !watch.notifiers[1] && !watch.notifiers[2]) {
        if (watch.unpollable)
            d->unpollable.erase(std::find(d->unpollable.begin(), d->unpollable.end(), fd));
        d->watches.erase(it);
    }
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    Q_D(EpollEventDispatcher);
    if (timerId < 1 || interval < 0 || !object) {
        qCWarning(lcEngine, "EpollEventDispatcher: invalid timer %d (interval %lld)", timerId,
                  static_cast<long long>(interval));
        return;
    }
    if (timerType == Qt::VeryCoarseTimer)   // whole seconds, as Qt's very coarse timers
        interval = (interval + 500) / 1000 * 1000;
    const auto old = d->timers.find(timerId);
    if (old != d->timers.end())
        d->eraseTimer(old);
    EpollEventDispatcherPrivate::Timer &timer = d->timers[timerId];
    timer.intervalMs = interval;
    timer.object = object;
    timer.type = timerType;
    d->schedule(timerId, timer, monotonicNs() + interval * NsPerMs);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    Q_D(EpollEventDispatcher);
    const auto it = d->timers.find(timerId);
    if (it == d->timers.end())
        return false;
    d->eraseTimer(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    Q_D(EpollEventDispatcher);
    bool any = false;
    for (auto it = d->timers.begin(); it != d->timers.end();) {
        if (it->second.object == object) {
            d->deadlines.erase(it->second.key(it->first));
            it = d->timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    Q_D(const EpollEventDispatcher);
    QList<TimerInfo> list;
    for (const auto &[id, timer] : d->timers) {
        if (timer.object == object)
            list.append(TimerInfo(id, int(timer.intervalMs), timer.type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    Q_D(EpollEventDispatcher);
    const auto it = d->timers.find(timerId);
    if (it == d->timers.end())
        return -1;
    const qint64 left = it->second.deadline - monotonicNs();   // rounded up, as Qt
    return left > 0 ? int(std::min<qint64>((left + NsPerMs - 1) / NsPerMs, std::numeric_limits<int>::max())) : 0;
}

void EpollEventDispatcher::wakeUp()
{
    Q_D(EpollEventDispatcher);
    if (!d->wakePending.exchange(true, std::memory_order_acq_rel))
        (void)eventfd_write(d->wakeFd, 1);
}

void EpollEventDispatcher::interrupt()
{
    Q_D(EpollEventDispatcher);
    d->interrupted.store(true, std::memory_order_release);
    wakeUp();
}

} // namespace SocketIo

#endif // __linux__
