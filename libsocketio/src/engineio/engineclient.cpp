#include "engineclient.h"
#include "engineclient_p.h"

#include "engineclientlogging_p.h"
#include "engineclienttransport_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkCookieJar>

#include <algorithm>
#include <climits>
#include <utility>

namespace SocketIo {

using Protocol::EnginePacket;
using Protocol::EnginePacketType;

namespace {

// engine.io-client: `path.replace(/\/$/, "") + (addTrailingSlash ? "/" : "")`; we also make
// sure it starts with '/'
QString normalisedPath(QString path, bool addTrailingSlash)
{
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    if (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    if (addTrailingSlash)
        path.append(QLatin1Char('/'));
    return path;
}

const QString kPolling = QStringLiteral("polling");
const QString kWebSocket = QStringLiteral("websocket");

bool isSupportedScheme(const QString &scheme)
{
    return scheme == QLatin1String("http") || scheme == QLatin1String("https")
        || scheme == QLatin1String("ws") || scheme == QLatin1String("wss");
}

// Parameters the client sets itself; a user value would confuse the server.
bool isReservedQueryItem(const QString &key, const QString &timestampParam)
{
    return key == QLatin1String("EIO") || key == QLatin1String("transport")
        || key == QLatin1String("sid") || (!timestampParam.isEmpty() && key == timestampParam);
}

} // namespace

// ---- EngineClientPrivate --------------------------------------------------------------------

EngineClientPrivate::EngineClientPrivate(EngineClient *q)
    : q_ptr(q)
{
    pingTimer.setSingleShot(true);
    connectTimer.setSingleShot(true);
    closeTimer.setSingleShot(true);
    closeTimer.setInterval(EngineClientCloseTimeout);
    retireTimer.setSingleShot(true);
    retireTimer.setInterval(EngineClientCloseTimeout);
}

EngineClientPrivate::~EngineClientPrivate() = default;

QNetworkAccessManager *EngineClientPrivate::networkAccessManager()
{
    Q_Q(EngineClient);
    if (userManager)
        return userManager;
    if (!ownManager)
        ownManager = new QNetworkAccessManager(q);
    ownManager->setProxy(options.proxy);
    return ownManager;
}

void EngineClientPrivate::setState(EngineClient::State newState)
{
    Q_Q(EngineClient);
    if (state == newState)
        return;
    state = newState;
    Q_EMIT q->stateChanged(newState);
}

EngineClientTransport *EngineClientPrivate::createTransport(const QString &name)
{
    Q_Q(EngineClient);
    EngineClientTransportConfig config;
    QUrl base = url;
    base.setQuery(QString());
    base.setFragment(QString());
    base.setPath(options.path);   // normalised once, by setOptions()
    config.baseUrl = base;
    // engine.io-client: a URL with a query replaces the `query` option (no merge). The items are
    // kept fully decoded; requestUrl() encodes them as encodeURIComponent() does.
    const QUrlQuery source = url.hasQuery() && !url.query().isEmpty() ? QUrlQuery(url) : options.query;
    for (const auto &item : source.queryItems(QUrl::FullyDecoded)) {
        if (!isReservedQueryItem(item.first, options.timestampParam))
            config.query.append(item);
    }
    config.timestampParam = options.timestampParam;
    config.extraHeaders = options.extraHeaders;
    config.sslConfiguration = options.sslConfiguration;
    config.proxy = options.proxy;
    config.withCredentials = options.withCredentials;

    EngineClientTransport *t = nullptr;
    if (name == QLatin1String("polling")) {
        t = new PollingClientTransport(config, networkAccessManager(), q);
    } else {
        if (options.withCredentials)
            config.cookieJar = networkAccessManager()->cookieJar();
        t = new WebSocketClientTransport(config, q);
    }
    t->setSid(sid);

    QObject::connect(t, &EngineClientTransport::opened, q, [this, t] { onTransportOpened(t); });
    QObject::connect(t, &EngineClientTransport::packetReceived, q,
                     [this, t](const EnginePacket &packet) { onTransportPacket(t, packet); });
    QObject::connect(t, &EngineClientTransport::drained, q, [this, t] { onTransportDrained(t); });
    QObject::connect(t, &EngineClientTransport::paused, q, [this, t] { onTransportPaused(t); });
    QObject::connect(t, &EngineClientTransport::failed, q,
                     [this, t](const QString &reason, const QString &message,
                               const QString &description) {
                         onTransportFailed(t, reason, message, description);
                     });
    QObject::connect(t, &EngineClientTransport::closed, q, [this, t] { onTransportClosed(t); });
    QObject::connect(t, &EngineClientTransport::sslErrors, q,
                     [this](const QList<QSslError> &errors, bool *ignore) {
                         onTransportSslErrors(errors, ignore);
                     });
    return t;
}

QStringList EngineClientPrivate::effectiveTransports() const
{
    QStringList list;
    if (options.transports.isEmpty()) {
        if (options.polling)
            list.append(kPolling);
        if (options.websocket)
            list.append(kWebSocket);
        return list;
    }
    for (const QString &name : options.transports) {
        if (name != kPolling && name != kWebSocket) {
            qCWarning(lcEngineClient) << "unknown transport" << name << "ignored";
            continue;
        }
        if (!list.contains(name))
            list.append(name);
    }
    return list;
}

void EngineClientPrivate::openTransport()
{
    // engine.io-client's _open(): WebSocket directly when rememberUpgrade and the last
    // connection ended up on it, else the first transport of the list
    const QString name = options.rememberUpgrade && priorWebsocketSuccess && transports.contains(kWebSocket)
        ? kWebSocket
        : transports.first();
    qCDebug(lcEngineClient) << "opening with" << name;
    transport = createTransport(name);
    transport->open();
}

void EngineClientPrivate::dropTransport(EngineClientTransport *&t)
{
    Q_Q(EngineClient);
    if (!t)
        return;
    EngineClientTransport *dropped = t;
    t = nullptr;
    QObject::disconnect(dropped, nullptr, q, nullptr);
    dropped->abort();
    // Possibly inside one of its own signals: delete from the event loop.
    dropped->deleteLater();
}

void EngineClientPrivate::retireTransport(EngineClientTransport *&t)
{
    Q_Q(EngineClient);
    if (!t)
        return;
    EngineClientTransport *retired = t;
    t = nullptr;
    QObject::disconnect(retired, nullptr, q, nullptr);
    // closed() or failed(): either way it is done (a failure while closing is no longer news)
    QObject::connect(retired, &EngineClientTransport::closed, q, [this, retired] { onRetired(retired); });
    QObject::connect(retired, &EngineClientTransport::failed, q, [this, retired] { onRetired(retired); });
    retiring.append(retired);
    if (!retireTimer.isActive())
        retireTimer.start();
    retired->close();
}

void EngineClientPrivate::onRetired(EngineClientTransport *t)
{
    Q_Q(EngineClient);
    if (!retiring.removeOne(t))
        return;
    dropTransport(t);
    if (!retiring.isEmpty())
        return;
    retireTimer.stop();
    if (deleteWhenRetired)
        q->deleteLater();
}

void EngineClientPrivate::deleteLaterWhenRetired()
{
    Q_Q(EngineClient);
    if (retiring.isEmpty())
        q->deleteLater();
    else
        deleteWhenRetired = true;
}

void EngineClientPrivate::onTransportOpened(EngineClientTransport *t)
{
    if (t == probe) {
        qCDebug(lcEngineClient) << "probe transport open, sending 2probe";
        probe->send({EnginePacket::text(EnginePacketType::Ping, QByteArrayLiteral("probe"))});
    }
    // The current WebSocket transport waits for the open packet, which is the handshake.
}

void EngineClientPrivate::onTransportPacket(EngineClientTransport *t, const EnginePacket &packet)
{
    if (t == transport)
        onPacket(packet);
    else if (t == probe)
        onProbePacket(packet);
}

void EngineClientPrivate::onTransportDrained(EngineClientTransport *t)
{
    Q_Q(EngineClient);
    if (t != transport || state == EngineClient::State::Closed)
        return;
    if (writeBuffer.isEmpty()) {
        QPointer<EngineClient> guard(q);
        Q_EMIT q->drained();
        if (!guard || state == EngineClient::State::Closed)
            return;
    }
    if (!writeBuffer.isEmpty())
        flush();
    else if (closeRequested)
        proceedClose();
}

void EngineClientPrivate::onTransportPaused(EngineClientTransport *t)
{
    if (t == transport && upgrading)
        finishUpgrade();
}

void EngineClientPrivate::onTransportFailed(EngineClientTransport *t, const QString &reason,
                                            const QString &message,
                                            const QString &description)
{
    if (t == probe) {
        probeFailed(description);
        return;
    }
    if (t != transport)
        return;
    // what connect_error's TransportError carries (description: xhr.status for polling)
    errorIsTransportError = message == QLatin1String("xhr poll error") || message == QLatin1String("xhr post error")
        || message == QLatin1String("websocket error");
    errorHttpStatus = t->errorHttpStatus();
    errorDescription = description;
    transportErrorPending = true;
    if (reason == QLatin1String("transport error")) {
        // engine.io-client's _onError()
        priorWebsocketSuccess = false;
        if (options.tryAllTransports && transports.size() > 1 && state == EngineClient::State::Opening) {
            // engine.io-client drops the first of the list; the failed one is the same except
            // when rememberUpgrade opened with WebSocket, where retrying it would be pointless
            const QString failedName = t->name();
            dropTransport(transport);
            transports.removeOne(failedName);
            qCInfo(lcEngineClient) << "transport" << failedName << "failed before the handshake:" << message
                                   << description << "; trying" << transports.first();
            // the attempt goes on: whatever ends it next reports its own details
            transportErrorPending = false;
            errorIsTransportError = false;
            errorHttpStatus = 0;
            errorDescription.clear();
            openTransport();
            return;
        }
    }
    if (state == EngineClient::State::Closing) {
        // The application asked to close; how the transport went down does not change that.
        finish(QStringLiteral("forced close"),
               QStringLiteral("closed by the client (%1)").arg(description));
        return;
    }
    qCInfo(lcEngineClient) << "transport" << t->name() << "ended:" << reason << message
                           << description;
    // A handshake that never completed is always reported as an error (connect_error).
    QString error = message;
    if (error.isEmpty() && state == EngineClient::State::Opening)
        error = reason;
    finish(reason, description, error);
}

void EngineClientPrivate::onTransportClosed(EngineClientTransport *t)
{
    if (t == transport)
        finish(QStringLiteral("forced close"), QStringLiteral("closed by the client"));
}

void EngineClientPrivate::onTransportSslErrors(const QList<QSslError> &errors, bool *ignore)
{
    Q_Q(EngineClient);
    ignoreSsl = false;
    Q_EMIT q->sslErrors(errors);
    *ignore = ignoreSsl;
    ignoreSsl = false;
}

void EngineClientPrivate::onPacket(const EnginePacket &packet)
{
    Q_Q(EngineClient);
    if (state == EngineClient::State::Closed)
        return;
    if (state == EngineClient::State::Opening && packet.type != EnginePacketType::Open) {
        qCWarning(lcEngineClient) << "packet type" << int(packet.type)
                                  << "before the open packet; ignored";
        return;
    }
    switch (packet.type) {
    case EnginePacketType::Open:
        onHandshake(packet.data);
        break;
    case EnginePacketType::Ping: {
        resetPingTimeout();
        sendPacket(EnginePacket::text(EnginePacketType::Pong));
        if (state != EngineClient::State::Closed)
            Q_EMIT q->pingReceived();
        break;
    }
    case EnginePacketType::Message:
        if (packet.binary)
            Q_EMIT q->binaryMessageReceived(packet.data);
        else
            Q_EMIT q->textMessageReceived(packet.data);
        break;
    case EnginePacketType::Close:
        finish(QStringLiteral("transport close"), QStringLiteral("transport closed by the server"));
        break;
    case EnginePacketType::Pong:
    case EnginePacketType::Upgrade:
    case EnginePacketType::Noop:
        qCDebug(lcEngineClient) << "ignoring packet type" << int(packet.type);
        break;
    }
}

void EngineClientPrivate::onHandshake(const QByteArray &json)
{
    Q_Q(EngineClient);
    if (state != EngineClient::State::Opening) {
        qCWarning(lcEngineClient) << "second open packet from the server; ignored";
        return;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    const QJsonObject o = doc.object();
    const QJsonValue sidValue = o.value(QLatin1String("sid"));
    const QJsonValue interval = o.value(QLatin1String("pingInterval"));
    const QJsonValue timeout = o.value(QLatin1String("pingTimeout"));
    if (!doc.isObject() || !sidValue.isString() || sidValue.toString().isEmpty()
        || !interval.isDouble() || !timeout.isDouble() || interval.toDouble() < 0
        || timeout.toDouble() < 0) {
        qCWarning(lcEngineClient) << "invalid open packet from the server:" << json.left(200);
        finish(QStringLiteral("parse error"), QStringLiteral("invalid open packet"),
               QStringLiteral("parse error"));
        return;
    }
    sid = sidValue.toString();
    upgrades.clear();
    const QJsonArray ups = o.value(QLatin1String("upgrades")).toArray();
    for (const QJsonValue &u : ups)
        upgrades.append(u.toString());
    // QTimer takes int milliseconds; absurd values from a server are clamped, not wrapped.
    pingInterval = int(qBound(0.0, interval.toDouble(), double(INT_MAX / 2)));
    pingTimeout = int(qBound(0.0, timeout.toDouble(), double(INT_MAX / 2)));
    maxPayload = qint64(qMax(0.0, o.value(QLatin1String("maxPayload")).toDouble(0)));
    transport->setSid(sid);
    connectTimer.stop();
    qCDebug(lcEngineClient) << "open: sid" << sid << "upgrades" << upgrades << "pingInterval"
                            << pingInterval << "pingTimeout" << pingTimeout << "maxPayload"
                            << maxPayload;

    priorWebsocketSuccess = transport->name() == kWebSocket;
    QPointer<EngineClient> guard(q);
    resetPingTimeout();
    setState(EngineClient::State::Open);
    if (!guard || state != EngineClient::State::Open)
        return;
    Q_EMIT q->opened();
    if (!guard || state != EngineClient::State::Open)
        return;
    flush();
    // engine.io-client probes the server's upgrades that are among its own transports
    if (state == EngineClient::State::Open && transport->name() == kPolling && options.upgrade
        && transports.contains(kWebSocket) && upgrades.contains(kWebSocket))
        startProbe();
}

void EngineClientPrivate::resetPingTimeout()
{
    pingTimer.start(pingInterval + pingTimeout);
    pingDeadline = wallClock() + pingInterval + pingTimeout;
}

void EngineClientPrivate::sendPacket(const EnginePacket &packet)
{
    sendPackets({packet});
}

void EngineClientPrivate::sendPackets(const QList<EnginePacket> &packets)
{
    if (state == EngineClient::State::Closing || state == EngineClient::State::Closed) {
        qCDebug(lcEngineClient) << "not open; dropping" << packets.size() << "packet(s)";
        return;
    }
    writeBuffer.append(packets);
    flush();
}

void EngineClientPrivate::flush()
{
    if ((state != EngineClient::State::Open && state != EngineClient::State::Closing) || !transport
        || upgrading || writeBuffer.isEmpty() || !transport->isWritable())
        return;
    transport->send(takeWritablePackets());
}

QList<EnginePacket> EngineClientPrivate::takeWritablePackets()
{
    // Polling bodies must stay within the server's maxPayload (else 413). engine.io-client
    // estimates binary sizes; the exact encoded size is never smaller, so it is used here.
    qsizetype count = writeBuffer.size();
    if (transport->name() == QLatin1String("polling") && maxPayload > 0 && count > 1) {
        qint64 size = 0;
        for (qsizetype i = 0; i < writeBuffer.size(); ++i) {
            const qint64 packetSize =
                Protocol::encodedPayloadSize(writeBuffer.at(i)) + (i > 0 ? 1 : 0);
            if (i > 0 && size + packetSize > maxPayload) {
                count = i;
                break;
            }
            size += packetSize;
        }
    }
    QList<EnginePacket> packets = writeBuffer.mid(0, count);
    writeBuffer.remove(0, count);
    return packets;
}

void EngineClientPrivate::startProbe()
{
    Q_Q(EngineClient);
    qCDebug(lcEngineClient) << "probing websocket for" << sid;
    priorWebsocketSuccess = false;
    probe = createTransport(QStringLiteral("websocket"));
    probe->open();
    Q_EMIT q->upgrading(QStringLiteral("websocket"));
}

void EngineClientPrivate::onProbePacket(const EnginePacket &packet)
{
    if (upgrading) {
        qCDebug(lcEngineClient) << "packet on the probe before the switch; ignored";
        return;
    }
    if (packet.type == EnginePacketType::Pong && packet.data == "probe") {
        qCDebug(lcEngineClient) << "3probe received; pausing polling";
        priorWebsocketSuccess = true;
        upgrading = true;
        transport->pause();
        return;
    }
    probeFailed(QStringLiteral("probe error: unexpected packet type %1").arg(int(packet.type)));
}

void EngineClientPrivate::probeFailed(const QString &why)
{
    qCInfo(lcEngineClient) << "upgrade to websocket failed, staying on polling:" << why;
    dropTransport(probe);
    const bool wasUpgrading = std::exchange(upgrading, false);
    if (wasUpgrading && transport)
        transport->resume();
    if (closeRequested)
        proceedClose();
    else
        flush();
}

void EngineClientPrivate::finishUpgrade()
{
    Q_Q(EngineClient);
    EngineClientTransport *old = transport;
    transport = probe;
    probe = nullptr;
    dropTransport(old);
    upgrading = false;
    transport->send({EnginePacket::text(EnginePacketType::Upgrade)});
    qCDebug(lcEngineClient) << "upgraded to websocket";
    QPointer<EngineClient> guard(q);
    Q_EMIT q->upgraded(QStringLiteral("websocket"));
    if (!guard || state == EngineClient::State::Closed)
        return;
    flush();
    if (closeRequested && writeBuffer.isEmpty())
        proceedClose();
}

void EngineClientPrivate::proceedClose()
{
    if (state != EngineClient::State::Closing || !closeRequested || !transport)
        return;
    if (upgrading)
        return;   // finishUpgrade() or probeFailed() comes back here
    if (!writeBuffer.isEmpty()) {
        flush();
        return;   // onTransportDrained() comes back here
    }
    if (!transport->isWritable())
        return;   // a POST is in flight; its drained() comes back here
    closeRequested = false;
    dropTransport(probe);
    closeTimer.start();
    transport->close();
}

void EngineClientPrivate::finish(const QString &reason, const QString &description,
                                 const QString &errorMessage)
{
    Q_Q(EngineClient);
    if (state == EngineClient::State::Closed || finishing) {
        transportErrorPending = false;
        return;
    }
    finishing = true;
    // the details of a transport failure were set by onTransportFailed(); any other end
    // (ping timeout, bad handshake, server error, ...) has none
    if (!transportErrorPending) {
        errorIsTransportError = false;
        errorHttpStatus = 0;
        errorDescription.clear();
    }
    transportErrorPending = false;
    QPointer<EngineClient> guard(q);
    if (!errorMessage.isEmpty()) {
        Q_EMIT q->errorOccurred(errorMessage);
        if (!guard)
            return;
    }
    pingTimer.stop();
    pingDeadline = 0;
    connectTimer.stop();
    closeTimer.stop();
    dropTransport(probe);
    // The client gives up on a session whose transport still works (no ping in time): end it
    // gracefully, as engine.io-client does, so the server reads "transport close". Every other
    // end has no working transport left (it failed, the server closed it, or the close
    // handshake already ran).
    if (reason == QLatin1String("ping timeout") && transport && !transport->sid().isEmpty())
        retireTransport(transport);
    else
        dropTransport(transport);
    writeBuffer.clear();
    upgrading = false;
    closeRequested = false;
    sid.clear();
    qCDebug(lcEngineClient) << "closed:" << reason << description;
    setState(EngineClient::State::Closed);
    if (!guard)
        return;
    finishing = false;
    Q_EMIT q->closed(reason, description);
}

// ---- EngineClient ---------------------------------------------------------------------------

EngineClient::EngineClient(QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<EngineClientPrivate>(this))
{
    Q_D(EngineClient);
    // protocol deadlines (heartbeat, handshake, close): precise, as engine.io-client's setTimeout;
    // Qt's default coarse timers may fire 5 % early or late
    d->pingTimer.setTimerType(Qt::PreciseTimer);
    d->connectTimer.setTimerType(Qt::PreciseTimer);
    d->closeTimer.setTimerType(Qt::PreciseTimer);
    connect(&d->pingTimer, &QTimer::timeout, this, [d] {
        qCInfo(lcEngineClient) << "no ping from the server in time";
        d->finish(QStringLiteral("ping timeout"),
                  QStringLiteral("no ping within pingInterval + pingTimeout"));
    });
    connect(&d->connectTimer, &QTimer::timeout, this, [d] {
        qCInfo(lcEngineClient) << "handshake timed out";
        d->finish(QStringLiteral("timeout"),
                  QStringLiteral("the handshake did not complete within connectTimeout"),
                  QStringLiteral("timeout"));
    });
    connect(&d->retireTimer, &QTimer::timeout, this, [d] {
        qCInfo(lcEngineClient) << "a transport closing after the session ended took too long; dropped";
        const QList<EngineClientTransport *> late = d->retiring;
        for (EngineClientTransport *t : late)
            d->onRetired(t);
    });
    connect(&d->closeTimer, &QTimer::timeout, this, [d] {
        qCInfo(lcEngineClient) << "the server did not acknowledge the close in time";
        d->finish(QStringLiteral("forced close"),
                  QStringLiteral("closed by the client (the server did not acknowledge)"));
    });
}

EngineClient::~EngineClient()
{
    Q_D(EngineClient);
    // No signals from a dying object: drop the transports silently.
    d->finishing = true;
    d->dropTransport(d->probe);
    d->dropTransport(d->transport);
    for (EngineClientTransport *t : std::exchange(d->retiring, {}))
        d->dropTransport(t);
}

void EngineClient::setUrl(const QUrl &url)
{
    Q_D(EngineClient);
    d->url = url;
}

QUrl EngineClient::url() const
{
    Q_D(const EngineClient);
    return d->url;
}

void EngineClient::setOptions(const EngineClientOptions &options)
{
    Q_D(EngineClient);
    d->options = options;
    d->options.path = normalisedPath(options.path, options.addTrailingSlash);
}

EngineClientOptions EngineClient::options() const
{
    Q_D(const EngineClient);
    return d->options;
}

void EngineClient::setNetworkAccessManager(QNetworkAccessManager *manager)
{
    Q_D(EngineClient);
    d->userManager = manager;
}

void EngineClient::open()
{
    Q_D(EngineClient);
    if (d->finishing) {
        qCWarning(lcEngineClient) << "open() while the previous session is ending; ignored";
        return;
    }
    if (d->state == State::Closing)
        d->finish(QStringLiteral("forced close"), QStringLiteral("closed by the client"));
    if (d->state != State::Closed) {
        qCWarning(lcEngineClient) << "open() while already open; ignored";
        return;
    }
    d->sid.clear();
    d->upgrades.clear();
    d->errorIsTransportError = false;
    d->errorHttpStatus = 0;
    d->errorDescription.clear();
    d->pingInterval = 0;
    d->pingTimeout = 0;
    d->maxPayload = 0;
    d->writeBuffer.clear();
    d->upgrading = false;
    d->closeRequested = false;

    QString error;
    if (!d->url.isValid() || d->url.host().isEmpty() || !isSupportedScheme(d->url.scheme()))
        error = QStringLiteral("invalid URL %1 (http, https, ws or wss expected)")
                    .arg(d->url.toDisplayString());
    else if ((d->transports = d->effectiveTransports()).isEmpty())
        error = QStringLiteral("no transport enabled in the options");

    QPointer<EngineClient> guard(this);
    d->setState(State::Opening);
    if (!guard || d->state != State::Opening)
        return;
    if (!error.isEmpty()) {
        qCWarning(lcEngineClient) << error;
        // Reported from the event loop, like every other connection failure.
        QTimer::singleShot(0, this, [d, error] {
            if (d->state == State::Opening && !d->transport)
                d->finish(QStringLiteral("transport error"), error, error);
        });
        return;
    }
    // zero is honoured: a 0 ms timer fails the attempt from the next event-loop pass
    if (d->options.connectTimeout)
        d->connectTimer.start(std::max(*d->options.connectTimeout, std::chrono::milliseconds::zero()));
    d->openTransport();
}

void EngineClient::close()
{
    Q_D(EngineClient);
    if (d->finishing)
        return;
    switch (d->state) {
    case State::Closed:
    case State::Closing:
        return;
    case State::Opening:
        d->finish(QStringLiteral("forced close"),
                  QStringLiteral("closed by the client before the handshake completed"));
        return;
    case State::Open:
        break;
    }
    QPointer<EngineClient> guard(this);
    d->setState(State::Closing);
    if (!guard || d->state != State::Closing)
        return;
    d->closeRequested = true;
    d->proceedClose();
}

EngineClient::State EngineClient::state() const
{
    Q_D(const EngineClient);
    return d->state;
}

QString EngineClient::sessionId() const
{
    Q_D(const EngineClient);
    return d->sid;
}

QString EngineClient::transportName() const
{
    Q_D(const EngineClient);
    return d->transport ? d->transport->name() : QString();
}

int EngineClient::pingInterval() const
{
    Q_D(const EngineClient);
    return d->pingInterval;
}

int EngineClient::pingTimeout() const
{
    Q_D(const EngineClient);
    return d->pingTimeout;
}

qint64 EngineClient::maxPayload() const
{
    Q_D(const EngineClient);
    return d->maxPayload;
}

void EngineClient::sendText(const QByteArray &utf8)
{
    Q_D(EngineClient);
    d->sendPacket(EnginePacket::text(EnginePacketType::Message, utf8));
}

void EngineClient::sendBinary(const QByteArray &bytes)
{
    Q_D(EngineClient);
    d->sendPacket(EnginePacket::bytes(bytes));
}

void EngineClient::sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries)
{
    Q_D(EngineClient);
    d->sendPackets(Protocol::messagePackets(utf8, binaries));
}

bool EngineClient::hasPingExpired()
{
    Q_D(EngineClient);
    if (d->state != State::Open || d->pingDeadline == 0)
        return true;
    if (d->wallClock() <= d->pingDeadline)
        return false;
    // The ping timer has not fired although its time has passed (the machine slept, or the
    // event loop was blocked): the connection is as good as gone, close it from the next pass.
    d->pingDeadline = 0;
    qCInfo(lcEngineClient) << "ping deadline passed while the timer did not fire (sleep or a blocked loop)";
    QMetaObject::invokeMethod(this, [d] {
        d->finish(QStringLiteral("ping timeout"), QStringLiteral("no ping within pingInterval + pingTimeout"));
    }, Qt::QueuedConnection);
    return true;
}

bool EngineClient::isWritable() const
{
    Q_D(const EngineClient);
    return d->state == State::Open && d->transport && !d->upgrading
        && d->transport->isWritable();
}

void EngineClient::ignoreSslErrors()
{
    Q_D(EngineClient);
    d->ignoreSsl = true;
}

} // namespace SocketIo
