#include "client.h"

#include "client_p.h"
#include "clientlogging_p.h"
#include "clientsocket_p.h"
#include "engineio/engineclient_p.h"

#include <algorithm>

namespace SocketIo {

ClientOptions::ClientOptions()
{
    path = QStringLiteral("/socket.io/");
}

ClientPrivate::ClientPrivate(Client *q)
    : q_ptr(q)
{
}

void ClientPrivate::setState(Client::State s)
{
    Q_Q(Client);
    if (state == s)
        return;
    state = s;
    Q_EMIT q->stateChanged(s);
}

bool ClientPrivate::isWritable() const
{
    return isOpen() && engine->state() == EngineClient::State::Open && engine->isWritable();
}

void ClientPrivate::openEngine(bool reconnectAttempt)
{
    Q_Q(Client);
    if (state == Client::State::Opening || state == Client::State::Open)
        return;
    autoOpenPending = false;
    // an open() from a slot (closed(), disconnected(), errorOccurred()) while a reconnection is
    // scheduled replaces it; a reconnection attempt itself stays "reconnecting" until it ends
    reconnectTimer.stop();
    if (!reconnectAttempt)
        reconnecting = false;
    detachEngine();

    auto *e = new EngineClient(q);
    engine = e;
    e->setUrl(url);
    EngineClientOptions engineOptions = options;
    engineOptions.connectTimeout = std::nullopt;   // the Manager's own timer is used
    e->setOptions(engineOptions);
    // rememberUpgrade: what the previous engine learnt (engine.io-client keeps it in a static)
    EngineClientPrivate::get(e)->priorWebsocketSuccess = priorWebsocketSuccess;
    QObject::connect(e, &EngineClient::opened, q, [this, e] { onEngineOpened(e); });
    QObject::connect(e, &EngineClient::errorOccurred, q,
                     [this, e](const QString &message) { onEngineError(e, message); });
    QObject::connect(e, &EngineClient::closed, q, [this, e](const QString &reason, const QString &description) {
        onEngineClosed(e, reason, description);
    });
    QObject::connect(e, &EngineClient::textMessageReceived, q, [this, e](const QByteArray &utf8) { onText(e, utf8); });
    QObject::connect(e, &EngineClient::binaryMessageReceived, q,
                     [this, e](const QByteArray &bytes) { onBinary(e, bytes); });
    QObject::connect(e, &EngineClient::sslErrors, q, [this, e](const QList<QSslError> &errors) {
        // synchronous: Client::ignoreSslErrors() from the application's slot reaches this engine
        if (e == engine)
            Q_EMIT q_ptr->sslErrors(errors);
    });
    QObject::connect(e, &EngineClient::pingReceived, q, [this, e] {
        if (e == engine)
            Q_EMIT q_ptr->pingReceived();
    });

    attemptIsReconnect = reconnectAttempt;
    skipReconnect = false;
    sawOpenError = false;
    decoder.reset();
    setState(Client::State::Opening);
    // socket.io-client arms its timer unless `timeout` is false; a 0 ms timer fails the attempt
    // from the next event-loop pass, before any reply can arrive
    if (options.timeout)
        connectTimer.start(std::max(*options.timeout, std::chrono::milliseconds::zero()));
    qCDebug(lcClient, "opening %s", qUtf8Printable(url.toString()));
    e->open();
}

void ClientPrivate::detachEngine()
{
    Q_Q(Client);
    connectTimer.stop();
    if (!engine)
        return;
    EngineClient *e = engine;
    engine = nullptr;
    priorWebsocketSuccess = EngineClientPrivate::get(e)->priorWebsocketSuccess;
    QObject::disconnect(e, nullptr, q, nullptr);
    if (e->state() == EngineClient::State::Closed) {
        // after a ping timeout its transport may still be sending the close packet
        EngineClientPrivate::get(e)->deleteLaterWhenRetired();
        return;
    }
    // Let it flush (a DISCONNECT, the close packet) and delete itself once closed.
    QObject::connect(e, &EngineClient::closed, e, [e] { EngineClientPrivate::get(e)->deleteLaterWhenRetired(); });
    e->close();
}

void ClientPrivate::onEngineOpened(EngineClient *e)
{
    Q_Q(Client);
    if (e != engine)
        return;
    connectTimer.stop();
    decoder.reset();
    setState(Client::State::Open);
    qCDebug(lcClient, "open (%s)", qUtf8Printable(e->transportName()));
    QPointer<Client> guard(q);
    Q_EMIT q->opened();
    // the sockets send their CONNECT (socket.io-client: Manager "open" event)
    const QList<ClientSocket *> list = sockets;
    for (ClientSocket *socket : list) {
        if (!guard || engine != e)
            return;
        auto *sd = ClientSocketPrivate::get(socket);
        if (sd->active)
            sd->onEngineOpen();
    }
    if (!guard || engine != e)
        return;
    if (attemptIsReconnect) {
        attemptIsReconnect = false;
        const int attempt = backoff.attempts();
        reconnecting = false;
        backoff.reset();
        Q_EMIT q->reconnected(attempt);
    }
}

void ClientPrivate::onEngineError(EngineClient *e, const QString &message)
{
    Q_Q(Client);
    if (e != engine)
        return;
    ConnectErrorDetails details;
    details.message = message;
    const auto *ed = EngineClientPrivate::get(e);
    details.transportError = ed->errorIsTransportError;
    details.httpStatus = ed->errorHttpStatus;
    details.description = ed->errorDescription;
    if (state == Client::State::Opening) {
        onOpenError(details);
        return;
    }
    // an open session failed; closed() follows and triggers the reconnection
    qCDebug(lcClient, "engine error: %s", qUtf8Printable(message));
    lastError = details;
    QPointer<Client> guard(q);
    Q_EMIT q->errorOccurred(message);
    const QList<ClientSocket *> list = sockets;
    for (ClientSocket *socket : list) {
        if (!guard)
            return;
        auto *sd = ClientSocketPrivate::get(socket);
        if (sd->active)
            sd->onEngineError(details);
    }
}

void ClientPrivate::onEngineClosed(EngineClient *e, const QString &reason, const QString &description)
{
    if (e != engine)
        return;
    if (state == Client::State::Opening) {
        ConnectErrorDetails details;
        details.message = description.isEmpty() ? reason : description;
        details.description = description;
        onOpenError(details);
        return;
    }
    bool known = false;
    DisconnectReason r = disconnectReasonFromString(reason, &known);
    if (!known)
        qCWarning(lcClient, "engine closed with an unknown reason \"%s\"; reported as transport error",
                  qUtf8Printable(reason));
    onClose(r, description);
}

void ClientPrivate::onConnectTimeout()
{
    if (state != Client::State::Opening)
        return;
    qCInfo(lcClient, "connection attempt timed out after %lld ms", qint64(options.timeout.value_or(std::chrono::milliseconds::zero()).count()));
    ConnectErrorDetails details;
    details.message = QStringLiteral("timeout");
    onOpenError(details);
}

void ClientPrivate::onOpenError(const ConnectErrorDetails &details)
{
    Q_Q(Client);
    const QString &message = details.message;
    lastError = details;
    qCInfo(lcClient, "connection to %s failed: %s", qUtf8Printable(url.toString()), qUtf8Printable(message));
    detachEngine();
    setState(Client::State::Closed);
    const bool wasReconnect = attemptIsReconnect;
    attemptIsReconnect = false;
    QPointer<Client> guard(q);
    Q_EMIT q->errorOccurred(message);
    const QList<ClientSocket *> list = sockets;
    for (ClientSocket *socket : list) {
        if (!guard)
            return;
        auto *sd = ClientSocketPrivate::get(socket);
        if (sd->active)
            sd->onEngineError(details);
    }
    // a slot above may have opened again (Client::open(), ClientSocket::open()): that attempt
    // replaces the reconnection
    if (!guard || state != Client::State::Closed || engine)
        return;
    if (wasReconnect) {
        reconnecting = false;
        reconnect();
        if (guard)
            Q_EMIT q->reconnectError(message);
    } else if (!reconnecting && options.reconnection && backoff.attempts() == 0) {
        // maybeReconnectOnOpen
        reconnect();
    }
}

void ClientPrivate::onClose(DisconnectReason reason, const QString &description)
{
    Q_Q(Client);
    qCDebug(lcClient, "closed: %s %s", qUtf8Printable(reasonString(reason)), qUtf8Printable(description));
    detachEngine();
    decoder.reset();
    backoff.reset();
    attemptIsReconnect = false;
    setState(Client::State::Closed);
    QPointer<Client> guard(q);
    Q_EMIT q->closed(reason, description);
    const QList<ClientSocket *> list = sockets;
    for (ClientSocket *socket : list) {
        if (!guard)
            return;
        auto *sd = ClientSocketPrivate::get(socket);
        if (sd->active)
            sd->onEngineClose(reason, description);
    }
    // a slot above may have opened again (Client::open(), ClientSocket::open()): no reconnection
    if (guard && state == Client::State::Closed && !engine && options.reconnection && !skipReconnect)
        reconnect();
}

void ClientPrivate::closeOnPurpose()
{
    skipReconnect = true;
    reconnecting = false;
    attemptIsReconnect = false;
    autoOpenPending = false;
    reconnectTimer.stop();
    // socket.io-client's _close() -> onclose("forced close"): whether or not an engine is open
    // (opening, waiting to reconnect, already closed), the Manager emits "close" and every
    // active socket "disconnect" with "forced close"; the sockets stay active
    onClose(DisconnectReason::ForcedClose, QString());
}

void ClientPrivate::reconnect()
{
    Q_Q(Client);
    if (reconnecting || skipReconnect)
        return;
    if (options.reconnectionAttempts >= 0 && backoff.attempts() >= options.reconnectionAttempts) {
        qCInfo(lcClient, "reconnection failed after %d attempts", backoff.attempts());
        backoff.reset();
        reconnecting = false;
        setState(Client::State::Closed);
        Q_EMIT q->reconnectFailed();
        return;
    }
    const int delay = backoff.duration();
    qCDebug(lcClient, "reconnecting in %d ms", delay);
    reconnecting = true;
    setState(Client::State::Reconnecting);
    reconnectTimer.start(delay);
}

void ClientPrivate::onReconnectTimer()
{
    Q_Q(Client);
    if (skipReconnect)
        return;
    QPointer<Client> guard(q);
    Q_EMIT q->reconnectAttempt(backoff.attempts());
    if (!guard || skipReconnect || state != Client::State::Reconnecting)
        return;
    setState(Client::State::Closed);
    openEngine(true);
}

void ClientPrivate::onSocketDeactivated()
{
    for (ClientSocket *socket : std::as_const(sockets)) {
        if (ClientSocketPrivate::get(socket)->active)
            return;
    }
    if (!destroying)
        closeOnPurpose();
}

void ClientPrivate::onText(EngineClient *e, const QByteArray &utf8)
{
    if (e == engine && state == Client::State::Open)
        onDecoderResult(decoder.addText(utf8), "packet");
}

void ClientPrivate::onBinary(EngineClient *e, const QByteArray &bytes)
{
    if (e == engine && state == Client::State::Open)
        onDecoderResult(decoder.addBinary(bytes), "binary message");
}

void ClientPrivate::onDecoderResult(Protocol::Decoder::Result result, const char *what)
{
    if (result == Protocol::Decoder::Result::Error) {
        qCWarning(lcClient, "undecodable %s from the server (%s): closing the connection", what,
                  qUtf8Printable(decoder.errorString()));
        onClose(DisconnectReason::ParseError, decoder.errorString());
        return;
    }
    if (result == Protocol::Decoder::Result::Packet)
        dispatch(decoder.takePacket());
}

void ClientPrivate::dispatch(const Protocol::Packet &packet)
{
    ClientSocket *target = nullptr;
    for (ClientSocket *socket : std::as_const(sockets)) {
        if (ClientSocketPrivate::get(socket)->nsp == packet.nsp) {
            target = socket;
            break;
        }
    }
    if (!target) {
        // socket.io-client hands every packet to the sockets of its Manager, and each ignores
        // what is not for its namespace: a packet for a namespace never joined is dropped.
        qCInfo(lcClient, "packet for namespace \"%s\", which this client never joined, ignored",
               qUtf8Printable(packet.nsp));
        return;
    }
    auto *sd = ClientSocketPrivate::get(target);
    if (!sd->active) {
        // socket.io-client ignores packets for a socket that is not listening (e.g. events in
        // flight after close())
        qCDebug(lcClient, "packet for inactive namespace \"%s\" ignored", qUtf8Printable(packet.nsp));
        return;
    }
    sd->onPacket(packet);
}

bool ClientPrivate::sendPacket(const Protocol::Packet &packet)
{
    if (!isOpen())
        return false;
    const Protocol::EncodedPacket encoded = Protocol::encodePacket(packet);
    if (encoded.text.isEmpty()) {
        qCWarning(lcClient, "packet for namespace \"%s\" cannot be encoded; not sent", qUtf8Printable(packet.nsp));
        return false;
    }
    if (encoded.attachments.isEmpty())
        engine->sendText(encoded.text);
    else
        engine->sendMessages(encoded.text, encoded.attachments);
    return true;
}

Client::Client(const QUrl &url, const ClientOptions &options, QObject *parent)
    : QObject(parent), d_ptr(new ClientPrivate(this))
{
    Q_D(Client);
    d->url = url;
    d->setOptions(options);
    d->reconnectTimer.setSingleShot(true);
    // the backoff delay as computed, as socket.io-client's setTimeout: a coarse timer may fire
    // up to 5 % early
    d->reconnectTimer.setTimerType(Qt::PreciseTimer);
    d->connectTimer.setSingleShot(true);
    d->connectTimer.setTimerType(Qt::PreciseTimer);   // the `timeout` option, a protocol deadline
    QObject::connect(&d->reconnectTimer, &QTimer::timeout, this, [d] { d->onReconnectTimer(); });
    QObject::connect(&d->connectTimer, &QTimer::timeout, this, [d] { d->onConnectTimeout(); });
    if (options.autoConnect) {
        d->autoOpenPending = true;
        QMetaObject::invokeMethod(this, [d] {
            if (d->autoOpenPending)
                d->openEngine(false);
        }, Qt::QueuedConnection);
    }
}

Client::~Client()
{
    Q_D(Client);
    d->destroying = true;
    d->skipReconnect = true;
    d->reconnectTimer.stop();
    d->connectTimer.stop();
    const QList<ClientSocket *> list = d->sockets;
    d->sockets.clear();
    qDeleteAll(list);
    if (d->engine) {
        QObject::disconnect(d->engine, nullptr, this, nullptr);
        delete d->engine.data();
    }
}

void ClientPrivate::setOptions(const ClientOptions &newOptions)
{
    options = newOptions;
    // socket.io-client's Manager: `reconnectionAttempts || Infinity`, `reconnectionDelay || 1000`,
    // `reconnectionDelayMax || 5000`
    if (options.reconnectionAttempts == 0)
        options.reconnectionAttempts = -1;
    if (options.reconnectionDelay == std::chrono::milliseconds::zero())
        options.reconnectionDelay = std::chrono::milliseconds(1000);
    if (options.reconnectionDelayMax == std::chrono::milliseconds::zero())
        options.reconnectionDelayMax = std::chrono::milliseconds(5000);
    backoff.setParameters(double(options.reconnectionDelay.count()),
                          double(options.reconnectionDelayMax.count()), options.randomizationFactor);
}

void Client::setOptions(const ClientOptions &options)
{
    d_func()->setOptions(options);
}

QUrl Client::url() const { return d_func()->url; }
ClientOptions Client::options() const { return d_func()->options; }
Client::State Client::state() const { return d_func()->state; }
EngineClient *Client::engine() const { return d_func()->engine; }
ConnectErrorDetails Client::lastError() const { return d_func()->lastError; }
QList<ClientSocket *> Client::sockets() const { return d_func()->sockets; }

ClientSocket *Client::socket(const QString &nspName, const ClientSocketOptions &options)
{
    Q_D(Client);
    QString nsp = nspName;
    if (nsp.isEmpty()) {
        // socket.io-client: io("http://host/admin") joins the namespace "/admin"
        const QString urlPath = d->url.path();
        nsp = urlPath.isEmpty() ? QStringLiteral("/") : urlPath;
    }
    if (!nsp.startsWith(QLatin1Char('/')))
        nsp.prepend(QLatin1Char('/'));
    for (ClientSocket *socket : std::as_const(d->sockets)) {
        auto *sd = ClientSocketPrivate::get(socket);
        if (sd->nsp == nsp) {
            if (d->options.autoConnect && !sd->active && !sd->autoOpenPending)
                socket->open();
            return socket;
        }
    }
    if (nsp.contains(QLatin1Char(','))) {
        qCWarning(lcClient, "namespace \"%s\" contains ',' and cannot be encoded; its packets will not be sent",
                  qUtf8Printable(nsp));
    }
    ClientSocket *socket = ClientSocketPrivate::create(this, nsp, options);
    d->sockets.append(socket);
    return socket;
}

void Client::ignoreSslErrors()
{
    Q_D(Client);
    if (d->engine)
        d->engine->ignoreSslErrors();
}

void Client::open()
{
    Q_D(Client);
    if (d->state == State::Reconnecting) {
        d->reconnectTimer.stop();
        d->reconnecting = false;
        d->backoff.reset();
        d->setState(State::Closed);
    }
    d->openEngine(false);
}

void Client::close()
{
    Q_D(Client);
    d->autoOpenPending = false;
    // socket.io-client's sockets become active in their constructor (autoConnect); ours wait for
    // the event loop. A socket whose open is still pending counts as active here, as it would
    // there: it gets disconnected(ForcedClose) and rejoins on the next open().
    QList<QPointer<ClientSocket>> pending;
    for (ClientSocket *socket : std::as_const(d->sockets)) {
        if (ClientSocketPrivate::get(socket)->autoOpenPending)
            pending.append(socket);
    }
    QPointer<Client> guard(this);
    for (const QPointer<ClientSocket> &socket : std::as_const(pending)) {
        if (!guard)
            return;
        if (!socket)
            continue;
        auto *sd = ClientSocketPrivate::get(socket);
        sd->autoOpenPending = false;
        sd->setActive(true);   // activeChanged(true), as ClientSocket::open() would have
    }
    if (!guard)
        return;
    // manager.disconnect(): no DISCONNECT packets, the engine closes, no reconnection
    d->closeOnPurpose();
}

void Client::closeAndDeleteLater(std::chrono::milliseconds grace)
{
    QPointer<Client> guard(this);
    close();
    if (!guard)
        return;   // a slot deleted it
    // close() leaves each engine that still has something to send as a child that deletes
    // itself once closed (detachEngine()), and one closed after a ping timeout may still be
    // sending its close packet (EngineClientPrivate::retiring): wait for those, bounded by grace
    const QList<EngineClient *> engines = findChildren<EngineClient *>(Qt::FindDirectChildrenOnly);
    auto flushing = std::make_shared<int>(0);
    for (EngineClient *engine : engines) {
        if (engine->state() == EngineClient::State::Closed
            && EngineClientPrivate::get(engine)->retiring.isEmpty())
            continue;
        ++*flushing;
        connect(engine, &QObject::destroyed, this, [this, flushing] {
            if (--*flushing == 0)
                deleteLater();
        });
    }
    if (*flushing == 0) {
        deleteLater();
        return;
    }
    QTimer::singleShot(grace, this, &QObject::deleteLater);
}

} // namespace SocketIo
