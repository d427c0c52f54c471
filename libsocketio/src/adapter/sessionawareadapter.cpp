#include "sessionawareadapter.h"

#include "socketio/logging_p.h"

#include <SocketIo/namespace.h>
#include <SocketIo/server.h>

#include <QCborArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QTimer>

#include <deque>

namespace SocketIo {

namespace {

constexpr std::chrono::seconds cleanupInterval{60};   // socket.io's fixed interval

// yeast's alphabet and digit order, so offsets look like the ones Node servers issue
QString encodeYeast(quint64 number)
{
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    QString encoded;
    do {
        encoded.prepend(QLatin1Char(alphabet[number % 64]));
        number /= 64;
    } while (number > 0);
    return encoded;
}

// Process-wide, like yeast's module state, so offsets stay unique across namespaces and across
// worker threads. A clock that steps back keeps the last time, so ids never repeat.
QString nextOffset()
{
    static QMutex mutex;
    static quint64 lastMs = 0;
    static quint64 seed = 0;
    const auto now = quint64(std::max<qint64>(QDateTime::currentMSecsSinceEpoch(), 0));
    QMutexLocker locker(&mutex);
    if (now > lastMs) {
        lastMs = now;
        seed = 0;
        return encodeYeast(now);
    }
    return encodeYeast(lastMs) + QLatin1Char('.') + encodeYeast(seed++);
}

bool isEventPacket(PacketType type)
{
    return type == PacketType::Event || type == PacketType::BinaryEvent;
}

} // namespace

class SessionAwareAdapterPrivate
{
public:
    struct LogEntry
    {
        QString offset;
        qint64 emittedAt = 0;   // monotonic ms
        QCborArray data;        // [event, ...args, offset]
        BroadcastOptions opts;
    };
    struct StoredSession
    {
        QCborMap session;
        qint64 disconnectedAt = 0;   // monotonic ms
    };

    std::chrono::milliseconds maxDisconnectionDuration{120000};
    QElapsedTimer clock;
    QTimer cleanupTimer;
    QHash<QString, StoredSession> sessions;   // pid → session
    std::deque<LogEntry> log;                 // in emission order
    QHash<QString, quint64> sequenceOf;       // offset → sequence number of its log entry
    quint64 firstSequence = 0;                // sequence number of log.front()

    bool isExpired(qint64 timestamp) const
    {
        return timestamp + maxDisconnectionDuration.count() < clock.elapsed();
    }

    // socket.io's shouldIncludePacket: a broadcast to every socket, or to one of the session's
    // rooms, unless one of its rooms is excluded.
    static bool reaches(const QSet<QString> &sessionRooms, const BroadcastOptions &opts)
    {
        const bool included = opts.rooms.isEmpty() || opts.rooms.intersects(sessionRooms);
        return included && !opts.except.intersects(sessionRooms);
    }
};

SessionAwareAdapter::SessionAwareAdapter(Namespace *nsp)
    : SessionAwareAdapter(nsp, nsp && nsp->server()
                                       ? nsp->server()->options().connectionStateRecovery.maxDisconnectionDuration
                                       : ConnectionStateRecoveryOptions().maxDisconnectionDuration)
{
}

SessionAwareAdapter::SessionAwareAdapter(Namespace *nsp, std::chrono::milliseconds maxDisconnectionDuration)
    : InMemoryAdapter(nsp), d_ptr(new SessionAwareAdapterPrivate)
{
    Q_D(SessionAwareAdapter);
    d->maxDisconnectionDuration = maxDisconnectionDuration;
    d->clock.start();
    d->cleanupTimer.setInterval(cleanupInterval);
    connect(&d->cleanupTimer, &QTimer::timeout, this, &SessionAwareAdapter::cleanup);
    d->cleanupTimer.start();
}

SessionAwareAdapter::~SessionAwareAdapter() = default;

std::chrono::milliseconds SessionAwareAdapter::maxDisconnectionDuration() const
{
    return d_func()->maxDisconnectionDuration;
}

void SessionAwareAdapter::broadcast(const Packet &packet, const BroadcastOptions &opts)
{
    Q_D(SessionAwareAdapter);
    // packets with an ack id are not logged: the ack callback cannot be restored with them
    if (!isEventPacket(packet.type) || packet.id >= 0 || opts.flags.isVolatile) {
        InMemoryAdapter::broadcast(packet, opts);
        return;
    }
    Packet logged = packet;
    QCborArray data = packet.data.toArray();
    const QString offset = nextOffset();
    // the offset goes last so the client can remember the last packet it processed
    data.append(offset);
    logged.data = data;
    d->sequenceOf.insert(offset, d->firstSequence + d->log.size());
    d->log.push_back({offset, d->clock.elapsed(), data, opts});
    InMemoryAdapter::broadcast(logged, opts);
}

void SessionAwareAdapter::persistSession(const QCborMap &session)
{
    Q_D(SessionAwareAdapter);
    const QString pid = session.value(QStringLiteral("pid")).toString();
    if (pid.isEmpty()) {
        qCWarning(lcAdapter, "persistSession: session without pid ignored");
        return;
    }
    QCborMap stored = session;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 age = 0;
    // a session given back after a restore that did not end in a connection keeps its time:
    // expiry still counts from the socket's disconnection
    const QCborValue given = session.value(QStringLiteral("disconnectedAt"));
    if (given.isInteger() && given.toInteger() <= now)
        age = now - given.toInteger();
    else
        stored.insert(QStringLiteral("disconnectedAt"), now);
    qCDebug(lcAdapter, "%s: session of %s stored for recovery", qUtf8Printable(nsp() ? nsp()->name() : QString()),
            qUtf8Printable(stored.value(QStringLiteral("sid")).toString()));
    d->sessions.insert(pid, {stored, d->clock.elapsed() - age});
}

void SessionAwareAdapter::restoreSession(const QString &pid, const QString &offset,
                                         const std::function<void(const QCborMap &)> &callback)
{
    Q_D(SessionAwareAdapter);
    auto it = d->sessions.find(pid);
    if (it == d->sessions.end()) {
        qCDebug(lcAdapter, "restoreSession: unknown pid (never stored, or expired)");
        callback(QCborMap());
        return;
    }
    if (d->isExpired(it->disconnectedAt)) {
        qCDebug(lcAdapter, "restoreSession: session expired");
        d->sessions.erase(it);
        callback(QCborMap());
        return;
    }
    const auto sequence = d->sequenceOf.constFind(offset);
    if (sequence == d->sequenceOf.constEnd()) {
        qCDebug(lcAdapter, "restoreSession: offset %s not in the packet log (too old or unknown)",
                qUtf8Printable(offset));
        callback(QCborMap());
        return;
    }
    QCborMap session = it->session;
    d->sessions.erase(it);

    QSet<QString> rooms;
    const QCborArray roomList = session.value(QStringLiteral("rooms")).toArray();
    for (const QCborValue &room : roomList)
        rooms.insert(room.toString());
    QCborArray missed;
    for (auto entry = d->log.cbegin() + qsizetype(*sequence - d->firstSequence) + 1; entry != d->log.cend(); ++entry) {
        if (SessionAwareAdapterPrivate::reaches(rooms, entry->opts))
            missed.append(entry->data);
    }
    session.insert(QStringLiteral("missedPackets"), missed);
    qCDebug(lcAdapter, "restoreSession: session of %s restored with %lld missed packets",
            qUtf8Printable(session.value(QStringLiteral("sid")).toString()), static_cast<long long>(missed.size()));
    callback(session);
}

void SessionAwareAdapter::cleanup()
{
    Q_D(SessionAwareAdapter);
    for (auto it = d->sessions.begin(); it != d->sessions.end();) {
        if (d->isExpired(it->disconnectedAt))
            it = d->sessions.erase(it);
        else
            ++it;
    }
    // emittedAt grows along the log: expired entries form a prefix
    while (!d->log.empty() && d->isExpired(d->log.front().emittedAt)) {
        d->sequenceOf.remove(d->log.front().offset);
        d->log.pop_front();
        ++d->firstSequence;
    }
}

int SessionAwareAdapter::sessionCount() const { return int(d_func()->sessions.size()); }
int SessionAwareAdapter::packetCount() const { return int(d_func()->log.size()); }

} // namespace SocketIo
