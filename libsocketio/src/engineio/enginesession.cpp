#include "enginesession.h"
#include "enginesession_p.h"

#include "enginelogging_p.h"
#include "engineserver_p.h"
#include "enginetransport_p.h"
#include "protocol/json.h"

#include <QMetaMethod>
#include <QTimerEvent>

#include <limits>

namespace SocketIo {

using Protocol::EnginePacket;
using Protocol::EnginePacketType;

// ---- SessionDeadlines ----------------------------------------------------------------------

SessionDeadlines::SessionDeadlines()
{
    m_clock.start();
    m_timer.setSingleShot(true);
    // Heartbeats are protocol deadlines: a peer may poll at exactly pingInterval + pingTimeout (as
    // Node's ~1 ms setTimeout allows), and Qt's default coarse timer may be 5 % late (or early).
    m_timer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { fire(); });
}

// Sessions cancel their entry when they close or are destroyed, all before their server.
SessionDeadlines::~SessionDeadlines() = default;

void SessionDeadlines::schedule(EngineSessionPrivate *session, qint64 when)
{
    if (session->deadlineQueued)
        m_queue.erase(session->deadline);
    session->deadline = m_queue.emplace(when, session);
    session->deadlineQueued = true;
    if (m_armedFor < 0 || when < m_armedFor)
        arm();
}

void SessionDeadlines::cancel(EngineSessionPrivate *session)
{
    if (!session->deadlineQueued)
        return;
    m_queue.erase(session->deadline);
    session->deadlineQueued = false;
    // The timer may stay armed for the removed entry: fire() then finds nothing due and re-arms.
    if (m_queue.empty()) {
        m_timer.stop();
        m_armedFor = -1;
    }
}

void SessionDeadlines::arm()
{
    if (m_queue.empty()) {
        m_timer.stop();
        m_armedFor = -1;
        return;
    }
    m_armedFor = m_queue.begin()->first;
    // QTimer takes an int of milliseconds: a later deadline is re-armed when this one fires.
    const qint64 delay = qBound(qint64(0), m_armedFor - now(), qint64(std::numeric_limits<int>::max()));
    m_timer.start(std::chrono::milliseconds(delay));
}

void SessionDeadlines::fire()
{
    m_armedFor = -1;
    // Everything due now is taken out first: a handler may schedule again (even at once, with a
    // zero interval) or close other sessions; the latter are watched by QPointer.
    const qint64 t = now();
    QList<std::pair<QPointer<EngineSession>, EngineSessionPrivate *>> due;
    while (!m_queue.empty() && m_queue.begin()->first <= t) {
        EngineSessionPrivate *session = m_queue.begin()->second;
        m_queue.erase(m_queue.begin());
        session->deadlineQueued = false;
        due.append({session->q_ptr, session});
    }
    for (const auto &[guard, session] : std::as_const(due)) {
        if (guard)
            session->onDeadline();
    }
    if (m_armedFor < 0)
        arm();
}

// ---- OpenPacketTemplate --------------------------------------------------------------------

QByteArray OpenPacketTemplate::json(const EngineOptions &o, bool offerWebSocket, const QString &sid)
{
    const qint64 pingInterval = o.pingInterval.count();
    const qint64 pingTimeout = o.pingTimeout.count();
    const qint64 maxPayload = o.maxHttpBufferSize;
    if (!m_built || pingInterval != m_pingInterval || pingTimeout != m_pingTimeout
        || maxPayload != m_maxPayload) {
        m_built = true;
        m_pingInterval = pingInterval;
        m_pingTimeout = pingTimeout;
        m_maxPayload = maxPayload;
        const QByteArray numbers = QByteArrayLiteral(",\"pingInterval\":") + QByteArray::number(pingInterval)
            + QByteArrayLiteral(",\"pingTimeout\":") + QByteArray::number(pingTimeout)
            + QByteArrayLiteral(",\"maxPayload\":") + QByteArray::number(maxPayload) + '}';
        m_tail[0] = QByteArrayLiteral(",\"upgrades\":[]") + numbers;
        m_tail[1] = QByteArrayLiteral(",\"upgrades\":[\"websocket\"]") + numbers;
    }
    const QByteArray &tail = m_tail[offerWebSocket ? 1 : 0];
    QByteArray out;
    out.reserve(8 + sid.size() + 2 + tail.size());
    out += "{\"sid\":";
    // a custom generateId may return any text: quoted and escaped as JSON.stringify does
    Protocol::Json::writeStringTo(&out, sid);
    out += tail;
    return out;
}

// ---- EngineSessionPrivate ------------------------------------------------------------------

EngineSessionPrivate::EngineSessionPrivate(EngineSession *q)
    : q_ptr(q)
{
}

EngineSessionPrivate::~EngineSessionPrivate() = default;

void EngineSessionPrivate::init(EngineServerPrivate *srv, const QString &sid,
                                const EngineRequest &req, EngineTransport *t)
{
    server = srv;
    id = sid;
    request = req;
    if (!server->deadlines)
        server->deadlines = std::make_unique<SessionDeadlines>();
    if (!server->openPacket)
        server->openPacket = std::make_unique<OpenPacketTemplate>();
    setTransport(t);
}

void EngineSessionPrivate::setTransport(EngineTransport *t)
{
    Q_Q(EngineSession);
    transport = t;
    t->setParent(q);
    t->setSink(this);
}

void EngineSessionPrivate::onTransportPacket(EngineTransport *t, const EnginePacket &packet)
{
    if (t == transport)
        onPacket(packet);
    else if (t == probe)
        onProbePacket(packet);
}

void EngineSessionPrivate::onTransportReady(EngineTransport *t)
{
    if (t == transport)
        flush();
}

void EngineSessionPrivate::onTransportFailed(EngineTransport *t, const QString &reason,
                                             const QString &description)
{
    if (t == transport) {
        onClose(reason, description);
    } else if (t == probe) {
        qCInfo(lcEngine) << "session" << id << "upgrade probe failed:" << description;
        endProbe();
    }
}

void EngineSessionPrivate::onTransportClosedGracefully(EngineTransport *t)
{
    if (t == transport)
        onClose(QStringLiteral("forced close"), QStringLiteral("closed by the server"));
}

PollingTransport *EngineSessionPrivate::pollingTransport() const
{
    return qobject_cast<PollingTransport *>(transport);
}

void EngineSessionPrivate::sendOpen()
{
    const EngineOptions &o = server->opts();
    const bool offerWebSocket = transport->kind() == EngineSession::Transport::Polling
        && o.allowUpgrades && o.websocketEnabled;
    sendPacket(EnginePacket::text(EnginePacketType::Open,
                                  server->openPacket->json(o, offerWebSocket, id)));
    schedulePing();
}

void EngineSessionPrivate::schedulePing()
{
    heartbeat = Heartbeat::WaitPing;
    server->deadlines->schedule(this, server->deadlines->now() + server->opts().pingInterval.count());
}

void EngineSessionPrivate::cancelHeartbeat()
{
    heartbeat = Heartbeat::None;
    if (server && server->deadlines)
        server->deadlines->cancel(this);
}

void EngineSessionPrivate::onDeadline()
{
    switch (heartbeat) {
    case Heartbeat::WaitPing:
        // Sent only while open; a closing session still waits out the pong timeout, which
        // bounds how long its close may take (as with engine.io's timers).
        sendPacket(EnginePacket::text(EnginePacketType::Ping));
        if (state == EngineSession::State::Closed)
            return;
        heartbeat = Heartbeat::WaitPong;
        server->deadlines->schedule(this, server->deadlines->now() + server->opts().pingTimeout.count());
        return;
    case Heartbeat::WaitPong:
        heartbeat = Heartbeat::None;
        qCInfo(lcEngine) << "session" << id << "ping timeout";
        onClose(QStringLiteral("ping timeout"), QStringLiteral("no pong within pingTimeout"));
        return;
    case Heartbeat::None:
        return;
    }
}

void EngineSessionPrivate::sendPacket(const EnginePacket &packet)
{
    // One packet (a message, the open packet, a ping): no temporary list around it.
    if (state != EngineSession::State::Open)
        return;
    queue(packet);
    if (statsObserved)
        reportQueued(packet);
    flushQueued();
}

void EngineSessionPrivate::sendPackets(const QList<EnginePacket> &packets)
{
    if (state != EngineSession::State::Open)
        return;
    // All of them are queued before anything is reported: they stay together, whatever a
    // statistics handler sends meanwhile.
    for (const EnginePacket &p : packets)
        queue(p);
    if (statsObserved) {
        for (const EnginePacket &p : packets)
            reportQueued(p);
    }
    flushQueued();
}

void EngineSessionPrivate::queue(const EnginePacket &packet)
{
    writeBuffer.append(packet);
    writeBufferBytes += Protocol::encodedPayloadSize(packet);
}

void EngineSessionPrivate::reportQueued(const EnginePacket &packet)
{
    Q_Q(EngineSession);
    if (const qsizetype size = packet.dataSize())
        Q_EMIT q->dataPacketQueued(size);
}

void EngineSessionPrivate::flushQueued()
{
    flush();
    // Checked after the flush: what a writable transport takes at once costs nothing here; only
    // what piles up for a peer that does not collect it (no GET, an unread WebSocket) counts.
    if (state != EngineSession::State::Open)
        return;
    const EngineOptions &o = server->opts();
    if (o.maxBufferedBytesCeiling > 0 && writeBufferBytes > o.maxBufferedBytesCeiling) {
        closeForOverflow("maxBufferedBytesCeiling");
        return;
    }
    // A burst may go over the soft limit while the peer is still taking what it was sent
    // before; only a peer that takes nothing for writeStallTimeout meanwhile is dropped. The
    // deadline runs from the first time the queue went over it since the transport last took
    // anything (flush() stops the timer); a peer still reading an earlier large write restarts
    // it (onStallTimeout()).
    if (o.maxBufferedBytes > 0 && writeBufferBytes > o.maxBufferedBytes && !stallTimer.isActive())
        startStallTimer();
}

void EngineSessionPrivate::startStallTimer()
{
    Q_Q(EngineSession);
    const qint64 timeout = qBound(qint64(0), qint64(server->opts().writeStallTimeout.count()),
                                  qint64(std::numeric_limits<int>::max()));
    stallMark = transport->pendingWriteBytes();
    stallTimer.start(int(timeout), q);
}

void EngineSessionPrivate::onStallTimeout()
{
    stallTimer.stop();
    const qint64 max = server->opts().maxBufferedBytes;
    if (state != EngineSession::State::Open || max <= 0 || writeBufferBytes <= max)
        return;
    // Taking is reading: a slow peer still working through a large earlier write (it waits in
    // the socket) is not stalled, as long as that goes down.
    if (transport->pendingWriteBytes() < stallMark) {
        qCDebug(lcEngine) << "session" << id << "peer still reading," << writeBufferBytes
                          << "bytes queued";
        startStallTimer();
        return;
    }
    closeForOverflow("maxBufferedBytes, and the peer took nothing for writeStallTimeout");
}

void EngineSessionPrivate::closeForOverflow(const char *why)
{
    qCInfo(lcEngine) << "session" << id << "closing:" << writeBufferBytes
                     << "bytes queued for a peer that does not take them, more than" << why;
    onClose(QStringLiteral("transport error"), QStringLiteral("write buffer overflow"));
}

void EngineSessionPrivate::sendFramed(const QByteArray &message, const QList<QByteArray> &binaries,
                                      bool compress)
{
    Q_ASSERT(message.startsWith('4') && QByteArrayView(message).isValidUtf8());
    if (state != EngineSession::State::Open)
        return;   // closing or closed: nothing more is queued (the caller checks this too)
    EnginePacket framed = EnginePacket::framedMessage(message);
    framed.compress = compress;
    if (binaries.isEmpty()) {
        sendPacket(framed);
        return;
    }
    QList<EnginePacket> packets;
    packets.reserve(binaries.size() + 1);
    packets.append(std::move(framed));
    for (const QByteArray &b : binaries) {
        packets.append(EnginePacket::bytes(b));
        packets.last().compress = compress;
    }
    sendPackets(packets);
}

void EngineSessionPrivate::flush()
{
    Q_Q(EngineSession);
    if (state == EngineSession::State::Closed || writeBuffer.isEmpty() || !transport->isWritable())
        return;
    stallTimer.stop();   // the peer takes what waited: any write stall is over
    const QList<EnginePacket> packets = std::exchange(writeBuffer, {});
    // writeBufferBytes is kept equal to the encoded size of writeBuffer as packets are queued
    bytesSent += quint64(std::exchange(writeBufferBytes, 0));
    transport->send(packets);
    if (state == EngineSession::State::Closed)
        return;
    Q_EMIT q->drained();
    if (closeAfterDrain && writeBuffer.isEmpty() && state == EngineSession::State::Closing) {
        closeAfterDrain = false;
        closeTransport();
    }
}

void EngineSessionPrivate::closeTransport()
{
    transport->closeGracefully();
}

void EngineSessionPrivate::onPacket(const EnginePacket &packet)
{
    Q_Q(EngineSession);
    // Like engine.io (packets are ignored unless readyState is "open"): once close() was called,
    // e.g. because an earlier packet of the same POST was invalid, nothing more reaches the
    // application. A pong no longer matters either: a closing session sends no pings, and its
    // pending ping timeout only bounds how long the close may take.
    if (state != EngineSession::State::Open)
        return;
    bytesReceived += quint64(Protocol::encodedPayloadSize(packet));
    if (statsObserved && !packet.data.isEmpty())
        Q_EMIT q->dataPacketReceived(packet.data.size());
    switch (packet.type) {
    case EnginePacketType::Pong:
        schedulePing();
        break;
    case EnginePacketType::Ping:
        qCInfo(lcEngine) << "session" << id << "client sent a ping: invalid heartbeat direction";
        onClose(QStringLiteral("transport error"), QStringLiteral("invalid heartbeat direction"));
        break;
    case EnginePacketType::Message:
        deliverMessage(packet.data, packet.binary);
        break;
    case EnginePacketType::Close:
        // Polling: a parked GET is released with a noop before the session goes away.
        if (PollingTransport *polling = pollingTransport())
            polling->sendNoop();
        onClose(QStringLiteral("transport close"), QStringLiteral("client sent a close packet"));
        break;
    case EnginePacketType::Open:
    case EnginePacketType::Upgrade:
    case EnginePacketType::Noop:
        qCDebug(lcEngine) << "session" << id << "ignoring packet type" << int(packet.type);
        break;
    }
}

void EngineSessionPrivate::onClose(const QString &reason, const QString &description)
{
    Q_Q(EngineSession);
    if (state == EngineSession::State::Closed)
        return;
    state = EngineSession::State::Closed;
    cancelHeartbeat();
    endProbe();
    stallTimer.stop();
    writeBuffer.clear();
    writeBufferBytes = 0;
    transport->close();
    server->removeSession(q);
    qCDebug(lcEngine) << "session" << id << "closed:" << reason << description;
    deliverClosed(reason, description);
}

// The receiver first, as the first connection it replaces was; the signal only if the receiver
// left the session alive (a QPointer only when something is connected to the signal).
void EngineSessionPrivate::deliverMessage(const QByteArray &data, bool binary)
{
    Q_Q(EngineSession);
    static const QMetaMethod textSignal = QMetaMethod::fromSignal(&EngineSession::textMessageReceived);
    static const QMetaMethod binarySignal = QMetaMethod::fromSignal(&EngineSession::binaryMessageReceived);
    const auto toReceiver = [this, &data, binary] {
        if (!receiver)
            return;
        if (binary)
            receiver->sessionBinary(data);
        else
            receiver->sessionText(data);
    };
    if (!q->isSignalConnected(binary ? binarySignal : textSignal)) {
        toReceiver();
        return;
    }
    const QPointer<EngineSession> guard(q);
    toReceiver();
    if (!guard)
        return;
    if (binary)
        Q_EMIT q->binaryMessageReceived(data);
    else
        Q_EMIT q->textMessageReceived(data);
}

void EngineSessionPrivate::deliverClosed(const QString &reason, const QString &description)
{
    Q_Q(EngineSession);
    const QPointer<EngineSession> guard(q);   // (once per session)
    if (receiver)
        receiver->sessionClosed(reason, description);
    if (guard)
        Q_EMIT q->closed(reason, description);
}

bool EngineSessionPrivate::canProbe() const
{
    const EngineOptions &o = server->opts();
    return state == EngineSession::State::Open && !upgrading && !upgraded && !probe
        && transport->kind() == EngineSession::Transport::Polling && o.allowUpgrades
        && o.websocketEnabled;
}

void EngineSessionPrivate::startProbe(EngineTransport *t)
{
    Q_Q(EngineSession);
    upgrading = true;
    probe = t;
    t->setParent(q);
    t->setSink(this);
    // A protocol deadline: precise, as the heartbeats' (a coarse timer may be 5 % early or late).
    const qint64 timeout = qBound(qint64(0), qint64(server->opts().upgradeTimeout.count()),
                                  qint64(std::numeric_limits<int>::max()));
    upgradeTimeoutTimer.start(int(timeout), Qt::PreciseTimer, q);
}

void EngineSessionPrivate::onUpgradeTimeout()
{
    qCInfo(lcEngine) << "session" << id << "upgrade timed out; staying on polling";
    endProbe();
}

void EngineSessionPrivate::onProbePacket(const EnginePacket &packet)
{
    Q_Q(EngineSession);
    if (!probe)
        return;
    if (packet.type == EnginePacketType::Ping && !packet.binary && packet.data == "probe") {
        probe->send({EnginePacket::text(EnginePacketType::Pong, QByteArrayLiteral("probe"))});
        noopTimer.start(int(UpgradeNoopInterval.count()), q);
        return;
    }
    if (packet.type == EnginePacketType::Upgrade && !packet.binary
        && state != EngineSession::State::Closed) {
        upgradeTimeoutTimer.stop();
        noopTimer.stop();
        EngineTransport *next = probe;
        probe = nullptr;
        EngineTransport *old = transport;
        old->setSink(nullptr);
        old->discard();
        old->deleteLater();
        setTransport(next);
        upgrading = false;
        upgraded = true;
        qCDebug(lcEngine) << "session" << id << "upgraded to websocket";
        Q_EMIT q->upgraded();
        flush();
        if (state == EngineSession::State::Closing && !closeAfterDrain)
            closeTransport();
        return;
    }
    qCInfo(lcEngine) << "session" << id << "unexpected packet on the upgrade probe; closing it";
    endProbe();
}

void EngineSessionPrivate::endProbe()
{
    upgradeTimeoutTimer.stop();
    noopTimer.stop();
    upgrading = false;
    if (EngineTransport *t = probe) {
        probe = nullptr;
        t->setSink(nullptr);
        t->close();
        t->deleteLater();
    }
}

// ---- EngineSession -------------------------------------------------------------------------

EngineSession::EngineSession(QObject *parent)
    : QObject(parent), d_ptr(new EngineSessionPrivate(this))
{
}

EngineSession::~EngineSession()
{
    Q_D(EngineSession);
    d->cancelHeartbeat();
    if (d->server)
        d->server->forgetSession(this);
    // Transports go first, while the private part they may still signal into exists.
    for (EngineTransport *t : {d->transport, static_cast<EngineTransport *>(d->probe)}) {
        if (t) {
            t->setSink(nullptr);
            delete t;
        }
    }
}

QString EngineSession::id() const
{
    Q_D(const EngineSession);
    return d->id;
}

EngineSession::Transport EngineSession::transport() const
{
    Q_D(const EngineSession);
    return d->transport->kind();
}

QString EngineSession::transportName() const
{
    return transport() == Transport::Polling ? QStringLiteral("polling")
                                             : QStringLiteral("websocket");
}

EngineSession::State EngineSession::state() const
{
    Q_D(const EngineSession);
    return d->state;
}

bool EngineSession::isUpgraded() const
{
    Q_D(const EngineSession);
    return d->upgraded;
}

const EngineRequest &EngineSession::request() const
{
    Q_D(const EngineSession);
    return d->request;
}

int EngineSession::protocolVersion() const
{
    return 4;
}

void EngineSession::sendText(const QByteArray &utf8)
{
    sendText(utf8, NoSendFlags);
}

void EngineSession::sendText(const QByteArray &utf8, SendFlags flags)
{
    Q_D(EngineSession);
    EnginePacket packet = EnginePacket::text(EnginePacketType::Message, utf8);
    packet.compress = !flags.testFlag(NoCompress);
    d->sendPacket(packet);
}

void EngineSession::sendBinary(const QByteArray &bytes)
{
    sendBinary(bytes, NoSendFlags);
}

void EngineSession::sendBinary(const QByteArray &bytes, SendFlags flags)
{
    Q_D(EngineSession);
    EnginePacket packet = EnginePacket::bytes(bytes);
    packet.compress = !flags.testFlag(NoCompress);
    d->sendPacket(packet);
}

void EngineSession::sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries)
{
    sendMessages(utf8, binaries, NoSendFlags);
}

void EngineSession::sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries,
                                 SendFlags flags)
{
    Q_D(EngineSession);
    d->sendPackets(Protocol::messagePackets(utf8, binaries, !flags.testFlag(NoCompress)));
}

bool EngineSession::isWritable() const
{
    Q_D(const EngineSession);
    return d->state == State::Open && d->transport->isWritable();
}

void EngineSession::close()
{
    Q_D(EngineSession);
    if (d->state != State::Open)
        return;
    d->state = State::Closing;
    if (!d->writeBuffer.isEmpty()) {
        d->closeAfterDrain = true;
        return;
    }
    d->closeTransport();
}

void EngineSession::abort()
{
    Q_D(EngineSession);
    d->onClose(QStringLiteral("forced close"), QStringLiteral("aborted by the server"));
}

quint64 EngineSession::bytesReceived() const
{
    Q_D(const EngineSession);
    return d->bytesReceived;
}

quint64 EngineSession::bytesSent() const
{
    Q_D(const EngineSession);
    return d->bytesSent;
}

void EngineSession::timerEvent(QTimerEvent *event)
{
    Q_D(EngineSession);
    if (event->timerId() == d->upgradeTimeoutTimer.timerId()) {
        d->onUpgradeTimeout();
    } else if (event->timerId() == d->stallTimer.timerId()) {
        d->onStallTimeout();
    } else if (event->timerId() == d->noopTimer.timerId()) {
        // Releases a GET parked during the upgrade, so that the client can send "upgrade".
        if (PollingTransport *polling = d->pollingTransport())
            polling->sendNoop();
    } else {
        QObject::timerEvent(event);
    }
}

void EngineSession::connectNotify(const QMetaMethod &signal)
{
    Q_D(EngineSession);
    // Looked up once: every session gets a few connections.
    static const QMetaMethod queued = QMetaMethod::fromSignal(&EngineSession::dataPacketQueued);
    static const QMetaMethod received = QMetaMethod::fromSignal(&EngineSession::dataPacketReceived);
    if (signal == queued || signal == received)
        d->statsObserved = true;
}

} // namespace SocketIo
