#include "socketioclient.h"

#include "jsconversion_p.h"
#include "qmllogging_p.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/message.h>

#include <QJSEngine>

#include <chrono>
#include <memory>

using namespace Qt::StringLiterals;

namespace SocketIo {

Q_LOGGING_CATEGORY(lcQml, "socketio.qml", QtWarningMsg)

namespace {

/*! The namespace an unset \c namespace means: as Client::socket() without a name. */
QString namespaceFromUrl(const QUrl &url)
{
    const QString path = url.path();
    return path.isEmpty() ? u"/"_s : path;
}

} // namespace

/*!
  \internal
  What the \c ack function handed to eventReceived() calls: sends the acknowledgement of one
  received event once. Owned by the JavaScript engine (collected with the function).
*/
class QmlAckSender : public QObject
{
    Q_OBJECT
public:
    explicit QmlAckSender(const Message &message)
        : m_message(message)
    {
    }

    /*! \a args: a JavaScript array, one element per ack argument. */
    Q_INVOKABLE bool send(const QJSValue &args)
    {
        if (m_message.isAcknowledged()) {
            qCDebug(lcQml).noquote() << "SocketIoClient: the ack of" << m_message.event()
                                     << "was already sent; ignored";
            return false;
        }
        QJSEngine *engine = qjsEngine(this);
        QCborArray cborArgs;
        QString error;
        if (!engine || !JsConversion::toCborArgs(engine, args, &cborArgs, &error)) {
            qCWarning(lcQml).noquote() << "SocketIoClient: the ack of" << m_message.event()
                                       << "was not sent:" << (engine ? error : u"no QML engine"_s);
            return false;
        }
        return m_message.ack(cborArgs);
    }

private:
    const Message m_message;
};

QmlClient::QmlClient(QObject *parent)
    : QObject(parent)
{
}

QmlClient::~QmlClient()
{
    if (m_client) {
        QObject::disconnect(m_client, nullptr, this, nullptr);
        QObject::disconnect(m_socket, nullptr, this, nullptr);
        delete m_client;
    }
}

QUrl QmlClient::url() const
{
    return m_url;
}

void QmlClient::setUrl(const QUrl &url)
{
    if (url == m_url)
        return;
    const QString oldNamespace = namespaceName();
    m_url = url;
    Q_EMIT urlChanged();
    if (namespaceName() != oldNamespace)
        Q_EMIT namespaceChanged();
    reopenIfActive();
}

QString QmlClient::namespaceName() const
{
    return m_namespace.isEmpty() ? namespaceFromUrl(m_url) : m_namespace;
}

void QmlClient::setNamespaceName(const QString &name)
{
    const QString oldNamespace = namespaceName();
    m_namespace = name;
    if (namespaceName() == oldNamespace)
        return;
    Q_EMIT namespaceChanged();
    reopenIfActive();
}

void QmlClient::resetNamespaceName()
{
    setNamespaceName(QString());
}

QJSValue QmlClient::auth() const
{
    return m_auth;
}

void QmlClient::setAuth(const QJSValue &auth)
{
    if (auth.strictlyEquals(m_auth))
        return;
    m_auth = auth;
    Q_EMIT authChanged();
    if (m_socket) {
        QString error;
        const QCborValue value = JsConversion::toCbor(qjsEngine(this), m_auth, &error);
        m_socket->setAuth(value.isMap() ? value.toMap() : QCborMap());
    }
}

QString QmlClient::path() const
{
    return m_path;
}

void QmlClient::setPath(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    Q_EMIT pathChanged();
    reopenIfActive();
}

QStringList QmlClient::transports() const
{
    return m_transports;
}

void QmlClient::setTransports(const QStringList &transports)
{
    if (transports == m_transports)
        return;
    m_transports = transports;
    Q_EMIT transportsChanged();
    reopenIfActive();
}

bool QmlClient::reconnection() const
{
    return m_reconnection;
}

void QmlClient::setReconnection(bool reconnection)
{
    if (reconnection == m_reconnection)
        return;
    m_reconnection = reconnection;
    Q_EMIT reconnectionChanged();
    reopenIfActive();
}

bool QmlClient::withCredentials() const
{
    return m_withCredentials;
}

void QmlClient::setWithCredentials(bool withCredentials)
{
    if (withCredentials == m_withCredentials)
        return;
    m_withCredentials = withCredentials;
    Q_EMIT withCredentialsChanged();
    reopenIfActive();
}

int QmlClient::timeout() const
{
    return m_timeout;
}

void QmlClient::setTimeout(int timeout)
{
    if (timeout == m_timeout)
        return;
    m_timeout = timeout;
    Q_EMIT timeoutChanged();
    reopenIfActive();
}

int QmlClient::ackTimeout() const
{
    return m_ackTimeout;
}

void QmlClient::setAckTimeout(int ackTimeout)
{
    if (ackTimeout == m_ackTimeout)
        return;
    m_ackTimeout = ackTimeout;
    Q_EMIT ackTimeoutChanged();
}

bool QmlClient::tryAllTransports() const
{
    return m_tryAllTransports;
}

void QmlClient::setTryAllTransports(bool tryAllTransports)
{
    if (tryAllTransports == m_tryAllTransports)
        return;
    m_tryAllTransports = tryAllTransports;
    Q_EMIT tryAllTransportsChanged();
    reopenIfActive();
}

bool QmlClient::rememberUpgrade() const
{
    return m_rememberUpgrade;
}

void QmlClient::setRememberUpgrade(bool rememberUpgrade)
{
    if (rememberUpgrade == m_rememberUpgrade)
        return;
    m_rememberUpgrade = rememberUpgrade;
    Q_EMIT rememberUpgradeChanged();
    reopenIfActive();
}

bool QmlClient::isActive() const
{
    return m_active;
}

void QmlClient::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    if (!m_componentComplete)
        return;
    if (m_active)
        open();
    else
        close();
}

QmlClient::Status QmlClient::status() const
{
    return m_status;
}

QString QmlClient::errorString() const
{
    return m_errorString;
}

QString QmlClient::id() const
{
    return m_id;
}

void QmlClient::classBegin()
{
    m_componentComplete = false;
}

void QmlClient::componentComplete()
{
    m_componentComplete = true;
    if (m_active)
        open();
}

bool QmlClient::emitEvent(const QString &name, const QJSValue &args, const QJSValue &callback,
                          int timeout, const QJSValue &onError)
{
    if (!m_socket) {
        qCWarning(lcQml) << "SocketIoClient.emitEvent:" << name << "not sent: the client is not active";
        return false;
    }
    if (!callback.isUndefined() && !callback.isCallable()) {
        qCWarning(lcQml) << "SocketIoClient.emitEvent:" << name << "not sent: the callback is not a function";
        return false;
    }
    if (!onError.isUndefined() && !onError.isCallable()) {
        qCWarning(lcQml) << "SocketIoClient.emitEvent:" << name << "not sent: onError is not a function";
        return false;
    }
    if (timeout < 0) {
        qCWarning(lcQml) << "SocketIoClient.emitEvent:" << name << "not sent: the timeout is negative";
        return false;
    }
    QJSEngine *engine = qjsEngine(this);
    QCborArray cborArgs;
    QString error;
    if (!JsConversion::toCborArgs(engine, args, &cborArgs, &error)) {
        qCWarning(lcQml).noquote() << "SocketIoClient.emitEvent:" << name << "not sent:" << error;
        return false;
    }
    if (callback.isUndefined() && onError.isUndefined())
        return m_socket->emitEvent(name, cborArgs);

    // 0 means the ackTimeout property, whose 0 means "wait forever"
    const int effectiveTimeout = timeout > 0 ? timeout : m_ackTimeout;
    AckReply *reply = m_socket->emitWithAck(
        name, cborArgs,
        effectiveTimeout > 0 ? std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(effectiveTimeout))
                             : std::nullopt);
    QObject::connect(reply, &AckReply::finished, this, [this, reply, callback, onError, name] {
        QJSEngine *engine = qjsEngine(this);
        if (reply->error() != AckReply::Error::NoError) {
            if (!onError.isCallable() || !engine) {
                qCWarning(lcQml).noquote() << "SocketIoClient.emitEvent:" << name
                                           << "no acknowledgement:" << reply->errorString();
                return;
            }
            const QJSValue result = onError.call({QJSValue(reply->errorString())});
            if (result.isError())
                qCWarning(lcQml).noquote() << "SocketIoClient.emitEvent: onError of" << name
                                           << "threw:" << result.toString();
            return;
        }
        if (!callback.isCallable())
            return;
        if (!engine) {
            qCWarning(lcQml) << "SocketIoClient.emitEvent: no QML engine to call the callback";
            return;
        }
        QJSValueList callArgs;
        const QCborArray ackArgs = reply->args();
        callArgs.reserve(ackArgs.size());
        for (const QCborValue &arg : ackArgs)
            callArgs.append(JsConversion::toJs(engine, arg));
        const QJSValue result = callback.call(callArgs);
        if (result.isError())
            qCWarning(lcQml).noquote() << "SocketIoClient.emitEvent: the callback of" << name
                                       << "threw:" << result.toString();
    });
    return true;
}

void QmlClient::open()
{
    if (m_client)
        return;
    if (!m_url.isValid() || m_url.isEmpty()) {
        qCWarning(lcQml) << "SocketIoClient: cannot connect: the url is empty or invalid:" << m_url;
        setErrorString(u"the url is empty or invalid"_s);
        setStatus(Error);
        return;
    }
    ClientOptions options;
    options.path = m_path;
    // in the application's order: the first one opens the connection (engine.io-client)
    for (const QString &transport : std::as_const(m_transports)) {
        if (transport != u"polling"_s && transport != u"websocket"_s)
            qCWarning(lcQml) << "SocketIoClient: unknown transport" << transport << "ignored";
        else if (!options.transports.contains(transport))
            options.transports.append(transport);
    }
    if (options.transports.isEmpty()) {
        qCWarning(lcQml) << "SocketIoClient: cannot connect: no transport in" << m_transports;
        setErrorString(u"no transport: transports must contain \"polling\" or \"websocket\""_s);
        setStatus(Error);
        return;
    }
    options.reconnection = m_reconnection;
    options.withCredentials = m_withCredentials;
    options.tryAllTransports = m_tryAllTransports;
    options.rememberUpgrade = m_rememberUpgrade;
    options.timeout = m_timeout < 0 ? std::nullopt
                                    : std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(m_timeout));
    options.autoConnect = false;

    ClientSocketOptions socketOptions;
    if (!m_auth.isUndefined() && !m_auth.isNull()) {
        QString error;
        const QCborValue auth = JsConversion::toCbor(qjsEngine(this), m_auth, &error);
        if (auth.isMap())
            socketOptions.auth = auth.toMap();
        else
            qCWarning(lcQml).noquote() << "SocketIoClient: auth is not an object, not sent" << error;
    }

    m_client = new Client(m_url, options, this);
    m_socket = m_client->socket(m_namespace, socketOptions);
    ClientSocket *const socket = m_socket;

    // QML handlers run synchronously inside the setters and signals below and may set active to
    // false (m_socket and m_client become null): read everything from the socket first.
    QObject::connect(socket, &ClientSocket::connected, this, [this, socket] {
        const QString id = socket->id();
        setErrorString(QString());
        setId(id);
        setStatus(Open);
        Q_EMIT connected();
    });
    QObject::connect(m_socket, &ClientSocket::disconnected, this,
                     [this](DisconnectReason reason, const QString &) { onDisconnected(reasonString(reason)); });
    QObject::connect(socket, &ClientSocket::connectError, this,
                     [this, socket](const QString &message, const QCborValue &data) {
                         // details and data first: a handler of statusChanged/errorStringChanged
                         // may deactivate the client (m_socket null) before connectError is emitted
                         const ConnectErrorDetails info = socket->lastConnectError();
                         QJSEngine *engine = qjsEngine(this);
                         QJSValue jsData;
                         QJSValue details;
                         if (engine) {
                             jsData = JsConversion::toJs(engine, data);
                             details = engine->newObject();
                             details.setProperty(u"transportError"_s, info.transportError);
                             details.setProperty(u"httpStatus"_s, info.httpStatus);
                             details.setProperty(u"description"_s, info.description);
                         }
                         setErrorString(message);
                         setStatus(Error);
                         Q_EMIT connectError(message, jsData, details);
                     });
    QObject::connect(m_socket, &ClientSocket::eventReceived, this, [this](const Message &message) {
        QJSEngine *engine = qjsEngine(this);
        if (!engine) {
            qCWarning(lcQml) << "SocketIoClient: no QML engine, event" << message.event() << "dropped";
            return;
        }
        Q_EMIT eventReceived(message.event(), JsConversion::toJsArray(engine, message.args()),
                             message.needsAck() ? ackFunction(engine, message) : QJSValue());
    });
    QObject::connect(m_client, &Client::reconnectAttempt, this, [this] {
        if (m_socket && m_socket->isActive() && m_status != Open)
            setStatus(Connecting);
    });
    QObject::connect(m_client, &Client::reconnectFailed, this, [this] {
        setErrorString(u"reconnection failed"_s);
        setStatus(Error);
    });

    qCDebug(lcQml) << "SocketIoClient: connecting to" << m_url << "namespace" << m_socket->namespaceName();
    setStatus(Connecting);
    // a handler of statusChanged may have set active to false (or reopened): then the socket is
    // not ours to open any more
    if (m_socket == socket)
        socket->open();
}

QJSValue QmlClient::ackFunction(QJSEngine *engine, const Message &message)
{
    // QJSEngine has no public way to make a native function: wrap the sender's invokable in a
    // closure so QML calls ack(a, b, ...) like socket.io's callback.
    if (!m_ackFactory.isCallable()) {
        m_ackFactory = engine->evaluate(u"(function (sender) {"
                                        "    return function () { return sender.send(Array.prototype.slice.call(arguments)) }"
                                        "})"_s);
        if (!m_ackFactory.isCallable()) {
            qCWarning(lcQml).noquote() << "SocketIoClient: cannot build the ack function:" << m_ackFactory.toString();
            return QJSValue();
        }
    }
    return m_ackFactory.call({engine->newQObject(new QmlAckSender(message))});
}

void QmlClient::close()
{
    if (!m_client)
        return;
    // Taken out first: QML handlers of the signals below run synchronously and may close or
    // open again (a property change while active); what they open is theirs, not closed here.
    Client *client = std::exchange(m_client, nullptr);
    ClientSocket *socket = std::exchange(m_socket, nullptr);
    // leaving the namespace on purpose reports disconnected("io client disconnect") if joined
    socket->close();
    QObject::disconnect(socket, nullptr, this, nullptr);
    QObject::disconnect(client, nullptr, this, nullptr);
    // the DISCONNECT and the engine close go out first (bounded by closeAndDeleteLater()'s
    // grace, 10 s, when the server stops answering)
    client->closeAndDeleteLater();
    if (m_client)
        return;   // a handler opened a new client meanwhile: its status stands
    setId(QString());
    setStatus(Closed);
}

void QmlClient::reopenIfActive()
{
    // also after an open() that failed (an invalid url, no transport): the change may mend it
    if (!m_componentComplete || !m_active)
        return;
    close();
    // a handler of the close may have set active to false (or opened already: open() then
    // does nothing)
    if (m_active)
        open();
}

void QmlClient::onDisconnected(const QString &reason)
{
    setId(QString());
    // Connecting only while the Client will reconnect: the socket stays active after a lost
    // connection (socket.io-client), but with reconnection off nothing follows
    setStatus(m_socket && m_socket->isActive() && m_reconnection ? Connecting : Closed);
    Q_EMIT disconnected(reason);
}

void QmlClient::setStatus(Status status)
{
    if (status == m_status)
        return;
    m_status = status;
    Q_EMIT statusChanged(status);
}

void QmlClient::setErrorString(const QString &errorString)
{
    if (errorString == m_errorString)
        return;
    m_errorString = errorString;
    Q_EMIT errorStringChanged();
}

void QmlClient::setId(const QString &id)
{
    if (id == m_id)
        return;
    m_id = id;
    Q_EMIT idChanged();
}

} // namespace SocketIo

#include "socketioclient.moc"
