// SocketIo::EpollEventDispatcher as the main thread's dispatcher (installed in main() below) and as a
// worker thread's: timers, socket notifiers, posted events and wake-ups, nested loops, and what
// handlers may do to the dispatcher's tables while it activates them. The library's own server and
// client tests run on it too (the <test>_epoll entries, label "epoll").
#include <SocketIo/engineserver.h>
#include <SocketIo/epolleventdispatcher.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include "siorawclient.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include <cerrno>

#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// A connected pair of UNIX stream sockets, closed on destruction.
struct SocketPair
{
    int fds[2] = {-1, -1};
    SocketPair() { QVERIFY2(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0, "socketpair"); }
    ~SocketPair()
    {
        for (int fd : fds) {
            if (fd >= 0)
                ::close(fd);
        }
    }
    void send(const char *data) const { QCOMPARE(::write(fds[1], data, qstrlen(data)), ssize_t(qstrlen(data))); }
    QByteArray receive() const
    {
        char buf[256];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        return n > 0 ? QByteArray(buf, int(n)) : QByteArray();
    }
};

class TimerCounter : public QObject
{
public:
    using QObject::QObject;
    std::function<void(int id)> onTimer;
    QList<int> fired;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.append(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

} // namespace

class TestEpollEventDispatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void installedForTheMainThread();
    void timersFireInDeadlineOrderAndNeverEarly();
    void repeatingAndZeroTimers();
    void timerKilledByAnEarlierHandlerOfThePassDoesNotFire();
    void remainingTimeAndRegisteredTimers();
    void veryCoarseTimersAreWholeSeconds();
    void nestedLoopDoesNotFireTheRunningTimerAgain();
    void readAndWriteNotifiers();
    void writeNotifierOfAFullSocketWaitsForRoom();
    void enabledWriteNotifierKeepsFiring();
    void nestedLoopInAWriteHandlerSeesItsNotifierAgain();
    void notifierDeletedByAnotherHandlerOfThePassIsNotActivated();
    void descriptorReusedWithinAPassGetsOnlyItsOwnEvents();
    void regularFileIsAlwaysReady();
    void excludeSocketNotifiersLeavesThemForLater();
    void processEventsWithoutWaitingReturnsAtOnce();
    void postedEventsAndDeleteLater();
    void wakeUpFromAnotherThread_data();
    void wakeUpFromAnotherThread();
    void zeroTimersAreNotWork();
    void nestedLoopDoesNotReplayTheOuterPassReadiness();
    void notifierOnADescriptorReopenedUnderItIsWatched();
    void workerThreadRunsOnItAndQuits();
    void manyTcpConnections();
    void socketIoRoundTripOverBothTransports();
};

void TestEpollEventDispatcher::installedForTheMainThread()
{
    QVERIFY(qobject_cast<SocketIo::EpollEventDispatcher *>(QAbstractEventDispatcher::instance()));
}

void TestEpollEventDispatcher::timersFireInDeadlineOrderAndNeverEarly()
{
    QElapsedTimer clock;
    clock.start();
    QList<std::pair<int, qint64>> fired;   // (interval, elapsed when it fired)
    std::vector<std::unique_ptr<QTimer>> timers;
    for (int interval : {60, 20, 40}) {
        auto timer = std::make_unique<QTimer>();
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(interval);
        connect(timer.get(), &QTimer::timeout, this, [&fired, &clock, interval] { fired.append({interval, clock.elapsed()}); });
        timer->start();
        timers.push_back(std::move(timer));
    }
    QTRY_COMPARE(fired.size(), 3);
    QCOMPARE(fired[0].first, 20);
    QCOMPARE(fired[1].first, 40);
    QCOMPARE(fired[2].first, 60);
    for (const auto &[interval, elapsed] : fired)
        QVERIFY2(elapsed >= interval, qPrintable(u"%1 ms timer fired after %2 ms"_s.arg(interval).arg(elapsed)));
}

void TestEpollEventDispatcher::repeatingAndZeroTimers()
{
    QTimer repeating;
    repeating.setInterval(5);
    int repeats = 0;
    connect(&repeating, &QTimer::timeout, this, [&repeats] { ++repeats; });
    QTimer zero;
    zero.setInterval(0);
    int zeros = 0;
    connect(&zero, &QTimer::timeout, this, [&zeros] { ++zeros; });
    repeating.start();
    zero.start();
    QTRY_VERIFY(repeats >= 5);
    QVERIFY(zeros >= 5);   // a zero timer fires on every pass
    repeating.stop();
    zero.stop();
    const int repeatsAtStop = repeats;
    const int zerosAtStop = zeros;
    QTimer later;
    later.setSingleShot(true);
    QSignalSpy laterSpy(&later, &QTimer::timeout);
    later.start(30);
    QVERIFY(laterSpy.wait(2000));
    QCOMPARE(repeats, repeatsAtStop);
    QCOMPARE(zeros, zerosAtStop);
}

void TestEpollEventDispatcher::timerKilledByAnEarlierHandlerOfThePassDoesNotFire()
{
    // Two timers of one object due in the same pass: whichever fires first kills the other, and
    // a third object's timer is deleted with its object by the same handler.
    TimerCounter counter;
    auto *doomed = new TimerCounter;
    const int a = counter.startTimer(10ms, Qt::PreciseTimer);
    const int b = counter.startTimer(10ms, Qt::PreciseTimer);
    doomed->startTimer(10ms, Qt::PreciseTimer);
    QPointer<TimerCounter> doomedGuard(doomed);
    counter.onTimer = [&](int id) {
        counter.killTimer(id == a ? b : a);
        counter.killTimer(id);
        delete doomedGuard.data();
    };
    QThread::msleep(20);   // all three due before the next pass
    QTRY_VERIFY(counter.fired.size() >= 1);
    QTest::qWait(40);
    QCOMPARE(counter.fired.size(), 1);
    QVERIFY(doomedGuard.isNull());
}

void TestEpollEventDispatcher::remainingTimeAndRegisteredTimers()
{
    QObject object;
    auto *dispatcher = QAbstractEventDispatcher::instance();
    const int id = object.startTimer(1000ms, Qt::CoarseTimer);
    const int left = dispatcher->remainingTime(id);
    QVERIFY2(left > 900 && left <= 1000, qPrintable(QString::number(left)));
    const auto timers = dispatcher->registeredTimers(&object);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().timerId, id);
    QCOMPARE(timers.first().interval, 1000);
    QCOMPARE(timers.first().timerType, Qt::CoarseTimer);
    object.killTimer(id);
    QCOMPARE(dispatcher->remainingTime(id), -1);
    QVERIFY(dispatcher->registeredTimers(&object).isEmpty());
    QVERIFY(!dispatcher->unregisterTimers(&object));
}

void TestEpollEventDispatcher::veryCoarseTimersAreWholeSeconds()
{
    QObject object;
    auto *dispatcher = QAbstractEventDispatcher::instance();
    const int id = object.startTimer(1400ms, Qt::VeryCoarseTimer);
    QCOMPARE(dispatcher->registeredTimers(&object).first().interval, 1000);
    QVERIFY(dispatcher->remainingTime(id) <= 1000);
}

void TestEpollEventDispatcher::nestedLoopDoesNotFireTheRunningTimerAgain()
{
    TimerCounter counter;
    int depth = 0;
    int maxDepth = 0;
    counter.onTimer = [&](int) {
        ++depth;
        maxDepth = std::max(maxDepth, depth);
        if (counter.fired.size() == 1) {
            QEventLoop nested;
            QTimer::singleShot(40ms, &nested, &QEventLoop::quit);
            nested.exec();
        }
        --depth;
    };
    counter.startTimer(2ms, Qt::PreciseTimer);
    QTRY_VERIFY(counter.fired.size() >= 3);
    QCOMPARE(maxDepth, 1);   // never entered again while its handler ran the nested loop
}

void TestEpollEventDispatcher::readAndWriteNotifiers()
{
    SocketPair pair;
    QSocketNotifier reader(pair.fds[0], QSocketNotifier::Read);
    QByteArray received;
    connect(&reader, &QSocketNotifier::activated, this, [&] { received += pair.receive(); });
    QSocketNotifier writer(pair.fds[1], QSocketNotifier::Write);
    int writable = 0;
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        ++writable;
        writer.setEnabled(false);
        pair.send("hello");
    });
    QTRY_COMPARE(received, "hello"_ba);
    QCOMPARE(writable, 1);
    // disabled: no activation although readable
    reader.setEnabled(false);
    int afterDisable = 0;
    connect(&reader, &QSocketNotifier::activated, this, [&] { ++afterDisable; });
    pair.send("more");
    QTest::qWait(30);
    QCOMPARE(afterDisable, 0);
    reader.setEnabled(true);
    QTRY_COMPARE(received, "hellomore"_ba);
}

void TestEpollEventDispatcher::writeNotifierOfAFullSocketWaitsForRoom()
{
    // Write notifiers are probed with poll(2) when enabled; a full socket must then wait in epoll
    // until the peer makes room, neither fire early nor be forgotten.
    SocketPair pair;
    const QByteArray chunk(4096, 'x');
    qint64 queued = 0;
    for (;;) {
        const ssize_t n = ::write(pair.fds[1], chunk.constData(), size_t(chunk.size()));
        if (n <= 0)
            break;
        queued += n;
    }
    QCOMPARE(errno, EAGAIN);
    QSocketNotifier writer(pair.fds[1], QSocketNotifier::Write);
    int activations = 0;
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        ++activations;
        writer.setEnabled(false);
    });
    QTest::qWait(50);
    QCOMPARE(activations, 0);
    char buf[65536];
    while (queued > 0) {   // the peer reads everything: room again
        const ssize_t n = ::read(pair.fds[0], buf, sizeof buf);
        QVERIFY(n > 0);
        queued -= n;
    }
    QTRY_COMPARE(activations, 1);
    // enabled again on a socket with room: at once, without epoll
    writer.setEnabled(true);
    QTRY_COMPARE(activations, 2);
}

void TestEpollEventDispatcher::enabledWriteNotifierKeepsFiring()
{
    // Level-triggered as with Qt's dispatchers: a writable socket's enabled write notifier fires on
    // every pass until it is disabled.
    SocketPair pair;
    QSocketNotifier writer(pair.fds[1], QSocketNotifier::Write);
    int activations = 0;
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        if (++activations == 5)
            writer.setEnabled(false);
    });
    QTRY_COMPARE(activations, 5);
    QTest::qWait(20);
    QCOMPARE(activations, 5);
}

void TestEpollEventDispatcher::nestedLoopInAWriteHandlerSeesItsNotifierAgain()
{
    // A handler of a still-enabled write notifier runs a nested loop (as a slot reached from a
    // socket's write activation does with QSignalSpy::wait): the nested loop must activate it again,
    // as Qt's dispatchers do, or bytes written meanwhile would never go out.
    SocketPair pair;
    QSocketNotifier writer(pair.fds[1], QSocketNotifier::Write);
    int activations = 0;
    bool seenInNested = false;
    bool nestedDone = false;
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        if (++activations == 1) {
            QEventLoop nested;
            QTimer guard;
            guard.setSingleShot(true);
            connect(&guard, &QTimer::timeout, &nested, &QEventLoop::quit);
            guard.start(2s);
            connect(&writer, &QSocketNotifier::activated, &nested, [&] {
                seenInNested = true;
                nested.quit();
            });
            nested.exec();
            nestedDone = true;
            writer.setEnabled(false);
        }
    });
    QTRY_VERIFY(nestedDone);
    QVERIFY(seenInNested);
}

void TestEpollEventDispatcher::notifierDeletedByAnotherHandlerOfThePassIsNotActivated()
{
    SocketPair first;
    SocketPair second;
    first.send("x");
    second.send("y");   // both readable before the next pass
    auto *a = new QSocketNotifier(first.fds[0], QSocketNotifier::Read);
    auto *b = new QSocketNotifier(second.fds[0], QSocketNotifier::Read);
    QPointer<QSocketNotifier> guardA(a);
    QPointer<QSocketNotifier> guardB(b);
    int activations = 0;
    auto onActivated = [&](QSocketNotifier *self, QSocketNotifier *other) {
        ++activations;
        delete (other == a ? guardA.data() : guardB.data());
        self->setEnabled(false);
    };
    connect(a, &QSocketNotifier::activated, this, [&] { onActivated(guardA, b); });
    connect(b, &QSocketNotifier::activated, this, [&] { onActivated(guardB, a); });
    QTRY_COMPARE(activations, 1);
    QTest::qWait(20);
    QCOMPARE(activations, 1);
    QCOMPARE(int(guardA.isNull()) + int(guardB.isNull()), 1);
    delete guardA.data();
    delete guardB.data();
}

void TestEpollEventDispatcher::descriptorReusedWithinAPassGetsOnlyItsOwnEvents()
{
    // Two readable sockets in one pass. Whichever is activated first closes the other (notifier and
    // descriptors) and opens a new socket, which gets the freed numbers, with a new notifier: neither
    // the closed socket's notifier nor the new one may be activated by the old readiness.
    struct Victim
    {
        std::unique_ptr<SocketPair> pair = std::make_unique<SocketPair>();
        std::unique_ptr<QSocketNotifier> notifier;
        int activations = 0;
    };
    Victim victims[2];
    std::unique_ptr<QSocketNotifier> replacement;
    int replacementActivations = 0;
    int freedFd = -1;
    int fresh[2] = {-1, -1};
    for (int i = 0; i < 2; ++i) {
        victims[i].pair->send("v");
        victims[i].notifier = std::make_unique<QSocketNotifier>(victims[i].pair->fds[0], QSocketNotifier::Read);
        connect(victims[i].notifier.get(), &QSocketNotifier::activated, this, [&, i] {
            Victim &self = victims[i];
            Victim &other = victims[1 - i];
            ++self.activations;
            self.notifier->setEnabled(false);
            if (replacement)
                return;
            freedFd = other.pair->fds[0];
            other.notifier.reset();
            other.pair.reset();   // closes both of its descriptors
            QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fresh) == 0);
            replacement = std::make_unique<QSocketNotifier>(fresh[0], QSocketNotifier::Read);
            connect(replacement.get(), &QSocketNotifier::activated, this, [&] { ++replacementActivations; });
        });
    }
    QTRY_VERIFY(replacement);
    QTest::qWait(20);
    QCOMPARE(fresh[0], freedFd);   // the kernel gave the lowest free number back
    QCOMPARE(victims[0].activations + victims[1].activations, 1);
    QCOMPARE(replacementActivations, 0);   // nothing was written to the new socket
    replacement.reset();
    for (int fd : fresh) {
        if (fd >= 0)
            ::close(fd);
    }
}

void TestEpollEventDispatcher::regularFileIsAlwaysReady()
{
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write("data");
    file.flush();
    QSocketNotifier notifier(file.handle(), QSocketNotifier::Read);
    int activations = 0;
    connect(&notifier, &QSocketNotifier::activated, this, [&] {
        if (++activations == 3)
            notifier.setEnabled(false);
    });
    QTRY_COMPARE(activations, 3);
}

void TestEpollEventDispatcher::excludeSocketNotifiersLeavesThemForLater()
{
    SocketPair pair;
    pair.send("z");
    QSocketNotifier reader(pair.fds[0], QSocketNotifier::Read);
    int activations = 0;
    connect(&reader, &QSocketNotifier::activated, this, [&] {
        ++activations;
        pair.receive();
    });
    for (int i = 0; i < 5; ++i)
        QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers);
    QCOMPARE(activations, 0);
    QTRY_COMPARE(activations, 1);
}

void TestEpollEventDispatcher::processEventsWithoutWaitingReturnsAtOnce()
{
    QObject object;
    object.startTimer(10s);   // a far timer must not make a non-waiting pass wait
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < 100; ++i)
        QAbstractEventDispatcher::instance()->processEvents(QEventLoop::AllEvents);
    QVERIFY2(clock.elapsed() < 5000, "a pass without WaitForMoreEvents waited");
}

void TestEpollEventDispatcher::postedEventsAndDeleteLater()
{
    auto *object = new QObject;
    QSignalSpy destroyed(object, &QObject::destroyed);
    bool called = false;
    QMetaObject::invokeMethod(this, [&called] { called = true; }, Qt::QueuedConnection);
    object->deleteLater();
    QVERIFY(destroyed.wait(2000));
    QVERIFY(called);
}

void TestEpollEventDispatcher::wakeUpFromAnotherThread_data()
{
    QTest::addColumn<int>("posts");
    QTest::addColumn<int>("maxSleepUs");
    QTest::newRow("two, 20 ms apart") << 2 << 20000;
    QTest::newRow("2,000 at random intervals") << 2000 << 200;
}

void TestEpollEventDispatcher::wakeUpFromAnotherThread()
{
    // The loop blocks with nothing to wake it but the posts of another thread (the guard timer is
    // seconds away): the last queued call ends it. A lost wake-up leaves it blocked until the guard.
    QFETCH(int, posts);
    QFETCH(int, maxSleepUs);
    QEventLoop loop;
    int calls = 0;
    std::thread poster([&, this] {
        std::minstd_rand random(42);
        for (int i = 0; i < posts; ++i) {
            std::this_thread::sleep_for(std::chrono::microseconds(random() % uint(maxSleepUs)));
            QMetaObject::invokeMethod(
                    this,
                    [&] {
                        if (++calls == posts)
                            loop.exit(0);
                    },
                    Qt::QueuedConnection);
        }
    });
    QTimer guard;
    guard.setSingleShot(true);
    connect(&guard, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    guard.start(10s);
    const int rc = loop.exec();
    poster.join();
    QCOMPARE(rc, 0);
    QCOMPARE(calls, posts);
}

void TestEpollEventDispatcher::zeroTimersAreNotWork()
{
    // As with Qt's dispatchers, a pass that only fired zero timers reports that it did nothing, so
    // processEvents(flags, maxtime) and "while (processEvents())" loops do not spin on a zero timer.
    QTimer zero;
    int fired = 0;
    connect(&zero, &QTimer::timeout, this, [&fired] { ++fired; });
    zero.start(0);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    bool idlePass = false;
    for (int i = 0; i < 50 && !idlePass; ++i)   // whatever earlier tests left pending goes first
        idlePass = !dispatcher->processEvents(QEventLoop::AllEvents);
    QVERIFY(idlePass);
    const int before = fired;
    QVERIFY(!dispatcher->processEvents(QEventLoop::AllEvents));
    QCOMPARE(fired, before + 1);   // it did fire
}

void TestEpollEventDispatcher::nestedLoopDoesNotReplayTheOuterPassReadiness()
{
    // Two sockets readable in one pass. The first activated reads its byte and runs a nested loop,
    // in which the other is activated and reads its byte; back in the outer pass, the other must not
    // be activated again with nothing to read (Qt's dispatchers share one pending list likewise).
    SocketPair pairs[2];
    pairs[0].send("a");
    pairs[1].send("b");
    std::unique_ptr<QSocketNotifier> notifiers[2];
    int activations[2] = {0, 0};
    int emptyReads = 0;
    bool nestedRun = false;
    for (int i = 0; i < 2; ++i) {
        notifiers[i] = std::make_unique<QSocketNotifier>(pairs[i].fds[0], QSocketNotifier::Read);
        connect(notifiers[i].get(), &QSocketNotifier::activated, this, [&, i] {
            ++activations[i];
            if (pairs[i].receive().isEmpty())
                ++emptyReads;
            if (!nestedRun) {
                nestedRun = true;
                QEventLoop nested;
                QTimer::singleShot(30ms, &nested, &QEventLoop::quit);
                nested.exec();
            }
        });
    }
    QTRY_VERIFY(nestedRun && activations[0] + activations[1] == 2);
    QTest::qWait(20);
    QCOMPARE(activations[0], 1);
    QCOMPARE(activations[1], 1);
    QCOMPARE(emptyReads, 0);
}

void TestEpollEventDispatcher::notifierOnADescriptorReopenedUnderItIsWatched()
{
    // A socket closed while its notifier is still enabled (the kernel drops it from epoll), then a
    // new socket with the same number and a new notifier of the same type: the new one works.
    int first[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, first) == 0);
    auto stale = std::make_unique<QSocketNotifier>(first[0], QSocketNotifier::Read);
    int staleActivations = 0;
    connect(stale.get(), &QSocketNotifier::activated, this, [&] { ++staleActivations; });
    QCoreApplication::processEvents();
    ::close(first[0]);
    ::close(first[1]);
    SocketPair second;
    QCOMPARE(second.fds[0], first[0]);   // the lowest free numbers come back
    QTest::ignoreMessage(QtWarningMsg,
                         qPrintable(u"EpollEventDispatcher: several socket notifiers of one type for descriptor %1"_s
                                            .arg(second.fds[0])));
    QSocketNotifier fresh(second.fds[0], QSocketNotifier::Read);
    QByteArray received;
    connect(&fresh, &QSocketNotifier::activated, this, [&] { received += second.receive(); });
    second.send("hi");
    QTRY_COMPARE(received, "hi"_ba);
    QCOMPARE(staleActivations, 0);
    stale.reset();   // unregistering the stale notifier leaves the new one alone
    second.send("!");
    QTRY_COMPARE(received, "hi!"_ba);
}

void TestEpollEventDispatcher::workerThreadRunsOnItAndQuits()
{
    QThread thread;
    thread.setEventDispatcher(new SocketIo::EpollEventDispatcher);
    thread.start();
    auto *context = new QObject;
    context->moveToThread(&thread);
    std::atomic<bool> onItsDispatcher{false};
    std::atomic<int> ticks{0};
    std::atomic<bool> contextDestroyed{false};
    connect(context, &QObject::destroyed, context, [&contextDestroyed] { contextDestroyed = true; }, Qt::DirectConnection);
    QMetaObject::invokeMethod(context, [&] {
        onItsDispatcher = qobject_cast<SocketIo::EpollEventDispatcher *>(QAbstractEventDispatcher::instance()) != nullptr;
        auto *timer = new QTimer(context);
        QObject::connect(timer, &QTimer::timeout, context, [&ticks, timer] {
            if (++ticks == 3)
                timer->stop();   // from here on nothing wakes the worker but this thread's posts
        });
        timer->start(1);
    });
    QTRY_COMPARE(ticks.load(), 3);
    QVERIFY(onItsDispatcher.load());
    context->deleteLater();   // posted from this thread: must wake the blocked worker
    QTRY_VERIFY(contextDestroyed.load());
    thread.quit();   // interrupt() from this thread
    QVERIFY(thread.wait(5000));
}

void TestEpollEventDispatcher::manyTcpConnections()
{
    // 300 loopback connections, each echoed once, then closed by the clients: every byte and every
    // disconnect reaches its socket.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    int serverDisconnects = 0;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *peer = server.nextPendingConnection()) {
            connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
            connect(peer, &QTcpSocket::disconnected, peer, [peer, &serverDisconnects] {
                ++serverDisconnects;
                peer->deleteLater();
            });
        }
    });
    constexpr int count = 300;
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    int echoed = 0;
    for (int i = 0; i < count; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        QTcpSocket *raw = client.get();
        const QByteArray message = "message " + QByteArray::number(i);
        connect(raw, &QTcpSocket::connected, raw, [raw, message] { raw->write(message); });
        connect(raw, &QTcpSocket::readyRead, raw, [raw, message, &echoed] {
            if (raw->bytesAvailable() >= message.size()) {
                if (raw->readAll() == message)
                    ++echoed;
                raw->disconnectFromHost();
            }
        });
        client->connectToHost(QHostAddress::LocalHost, server.serverPort());
        clients.push_back(std::move(client));
    }
    QTRY_COMPARE_WITH_TIMEOUT(echoed, count, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(serverDisconnects, count, 10000);
}

void TestEpollEventDispatcher::socketIoRoundTripOverBothTransports()
{
    // The library on this dispatcher: a Socket.IO event with an ack over WebSocket and over polling
    // (the other server and client tests run on it in their _epoll entries).
    SocketIo::Server io;
    QVERIFY(io.listen(QHostAddress::LocalHost, 0));
    connect(&io, &SocketIo::Server::connection, this, [](SocketIo::Socket *socket) {
        socket->on(u"ping"_s, socket, [](const SocketIo::Message &m) { m.ack({u"pong"_s}); });
    });
    for (const auto transport : {SioRawClient::Transport::WebSocket, SioRawClient::Transport::Polling}) {
        SioRawClient client(transport);
        QVERIFY(client.open(io.serverPort()));
        QVERIFY(client.connectNamespace().startsWith("40{"));
        client.send(R"(421["ping"])");
        QCOMPARE(client.waitForText(), R"(431["pong"])"_ba);
    }
}

int main(int argc, char *argv[])
{
    QCoreApplication::setEventDispatcher(new SocketIo::EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEpollEventDispatcher test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolleventdispatcher.moc"
