#include "enginesession.h"
#include "enginesession_p.h"

#include "enginelogging_p.h"
#include "engineserver_p.h"
#include "enginetransport_p.h"

#include <QMetaMethod>

namespace SocketIo {

using Protocol::EnginePacket;
using Protocol::EnginePacketType;

EngineSessionPrivate::EngineSessionPrivate(EngineSession *q)
    : q_ptr(q)
{
    pingIntervalTimer.setSingleShot(true);
    pingTimeoutTimer.setSingleShot(true);
    upgradeTimeoutTimer.setSingleShot(true);
    noopTimer.setInterval(UpgradeNoopInterval);
}

EngineSessionPrivate::~EngineSessionPrivate() = default;

void EngineSessionPrivate::init(EngineServerPrivate *srv, const QString &sid,
                                const EngineRequest &req, EngineTransport *t)
{
    Q_Q(EngineSession);
    server = srv;
    id = sid;
    request = req;
    const EngineOptions &o = server->opts();
    pingIntervalTimer.setInterval(o.pingInterval);
    pingTimeoutTimer.setInterval(o.pingTimeout);
    upgradeTimeoutTimer.setInterval(o.upgradeTimeout);
    QObject::connect(&pingIntervalTimer, &QTimer::timeout, q, [this] {
        sendPacket(EnginePacket::text(EnginePacketType::Ping));
        pingTimeoutTimer.start();
    });
    QObject::connect(&pingTimeoutTimer, &QTimer::timeout, q, [this] {
        qCInfo(lcEngine) << "session" << id << "ping timeout";
        onClose(QStringLiteral("ping timeout"), QStringLiteral("no pong within pingTimeout"));
    });
    QObject::connect(&upgradeTimeoutTimer, &QTimer::timeout, q, [this] {
        qCInfo(lcEngine) << "session" << id << "upgrade timed out; staying on polling";
        endProbe();
    });
    QObject::connect(&noopTimer, &QTimer::timeout, q, [this] {
        if (PollingTransport *polling = pollingTransport())
            polling->sendNoop();
    });
    setTransport(t);
}

void EngineSessionPrivate::setTransport(EngineTransport *t)
{
    Q_Q(EngineSession);
    transport = t;
    t->setParent(q);
    QObject::connect(t, &EngineTransport::packetReceived, q,
                     [this](const EnginePacket &packet) { onPacket(packet); });
    QObject::connect(t, &EngineTransport::ready, q, [this] { flush(); });
    QObject::connect(t, &EngineTransport::failed, q,
                     [this](const QString &reason, const QString &description) {
                         onClose(reason, description);
                     });
    QObject::connect(t, &EngineTransport::closedGracefully, q, [this] {
        onClose(QStringLiteral("forced close"), QStringLiteral("closed by the server"));
    });
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
    const QByteArray json = QByteArrayLiteral("{\"sid\":\"") + id.toLatin1()
        + QByteArrayLiteral("\",\"upgrades\":")
        + (offerWebSocket ? QByteArrayLiteral("[\"websocket\"]") : QByteArrayLiteral("[]"))
        + QByteArrayLiteral(",\"pingInterval\":") + QByteArray::number(qint64(o.pingInterval.count()))
        + QByteArrayLiteral(",\"pingTimeout\":") + QByteArray::number(qint64(o.pingTimeout.count()))
        + QByteArrayLiteral(",\"maxPayload\":") + QByteArray::number(o.maxHttpBufferSize) + '}';
    sendPacket(EnginePacket::text(EnginePacketType::Open, json));
    schedulePing();
}

void EngineSessionPrivate::schedulePing()
{
    pingIntervalTimer.start();
}

void EngineSessionPrivate::sendPacket(const EnginePacket &packet)
{
    sendPackets({packet});
}

void EngineSessionPrivate::sendPackets(const QList<EnginePacket> &packets)
{
    if (state != EngineSession::State::Open)
        return;
    for (const EnginePacket &p : packets) {
        writeBuffer.append(p);
        writeBufferBytes += Protocol::encodedPayloadSize(p);
    }
    if (statsObserved) {
        Q_Q(EngineSession);
        for (const EnginePacket &p : packets) {
            if (!p.data.isEmpty())
                Q_EMIT q->dataPacketQueued(p.data.size());
        }
    }
    flush();
    // Checked after the flush: what a writable transport takes at once costs nothing here; only
    // what piles up for a peer that does not collect it (no GET, an unread WebSocket) counts.
    const qint64 max = server->opts().maxBufferedBytes;
    if (state == EngineSession::State::Open && max > 0 && writeBufferBytes > max) {
        qCInfo(lcEngine) << "session" << id << "closing:" << writeBufferBytes
                         << "bytes queued for a peer that does not take them, more than"
                         << "maxBufferedBytes" << max;
        onClose(QStringLiteral("transport error"), QStringLiteral("write buffer overflow"));
    }
}

void EngineSessionPrivate::flush()
{
    Q_Q(EngineSession);
    if (state == EngineSession::State::Closed || writeBuffer.isEmpty() || !transport->isWritable())
        return;
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
        pingTimeoutTimer.stop();
        schedulePing();
        break;
    case EnginePacketType::Ping:
        qCInfo(lcEngine) << "session" << id << "client sent a ping: invalid heartbeat direction";
        onClose(QStringLiteral("transport error"), QStringLiteral("invalid heartbeat direction"));
        break;
    case EnginePacketType::Message:
        if (packet.binary)
            Q_EMIT q->binaryMessageReceived(packet.data);
        else
            Q_EMIT q->textMessageReceived(packet.data);
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
    pingIntervalTimer.stop();
    pingTimeoutTimer.stop();
    endProbe();
    writeBuffer.clear();
    writeBufferBytes = 0;
    transport->close();
    server->removeSession(q);
    qCDebug(lcEngine) << "session" << id << "closed:" << reason << description;
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
    QObject::connect(t, &EngineTransport::packetReceived, q,
                     [this](const EnginePacket &packet) { onProbePacket(packet); });
    QObject::connect(t, &EngineTransport::failed, q, [this](const QString &, const QString &why) {
        qCInfo(lcEngine) << "session" << id << "upgrade probe failed:" << why;
        endProbe();
    });
    upgradeTimeoutTimer.start();
}

void EngineSessionPrivate::onProbePacket(const EnginePacket &packet)
{
    Q_Q(EngineSession);
    if (!probe)
        return;
    if (packet.type == EnginePacketType::Ping && !packet.binary && packet.data == "probe") {
        probe->send({EnginePacket::text(EnginePacketType::Pong, QByteArrayLiteral("probe"))});
        noopTimer.start();
        return;
    }
    if (packet.type == EnginePacketType::Upgrade && !packet.binary
        && state != EngineSession::State::Closed) {
        upgradeTimeoutTimer.stop();
        noopTimer.stop();
        EngineTransport *next = probe;
        probe = nullptr;
        next->disconnect(q);
        EngineTransport *old = transport;
        old->disconnect(q);
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
    Q_Q(EngineSession);
    upgradeTimeoutTimer.stop();
    noopTimer.stop();
    upgrading = false;
    if (EngineTransport *t = probe) {
        probe = nullptr;
        t->disconnect(q);
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
    if (d->server)
        d->server->forgetSession(this);
    // Transports go first, while the private part they may still signal into exists.
    for (EngineTransport *t : {d->transport, static_cast<EngineTransport *>(d->probe)}) {
        if (t) {
            t->disconnect(this);
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
    Q_D(EngineSession);
    d->sendPacket(EnginePacket::text(EnginePacketType::Message, utf8));
}

void EngineSession::sendBinary(const QByteArray &bytes)
{
    Q_D(EngineSession);
    d->sendPacket(EnginePacket::bytes(bytes));
}

void EngineSession::sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries)
{
    Q_D(EngineSession);
    d->sendPackets(Protocol::messagePackets(utf8, binaries));
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

void EngineSession::connectNotify(const QMetaMethod &signal)
{
    Q_D(EngineSession);
    if (signal == QMetaMethod::fromSignal(&EngineSession::dataPacketQueued)
        || signal == QMetaMethod::fromSignal(&EngineSession::dataPacketReceived))
        d->statsObserved = true;
}

} // namespace SocketIo
