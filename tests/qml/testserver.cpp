#include "testserver.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/message.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/serveroptions.h>

#include <QCborMap>
#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

using namespace Qt::StringLiterals;

namespace {

SocketIo::ServerOptions serverOptions()
{
    SocketIo::ServerOptions options;
    options.cookie.enabled = true;   // io=<sid>, sent back only with withCredentials
    // a handshake whose query has "refuse" is refused (HTTP 403 for polling)
    options.allowRequest = [](const SocketIo::EngineRequest &request) {
        return request.query.hasQueryItem(u"refuse"_s) ? u"refused"_s : QString();
    };
    return options;
}

SocketIo::ServerOptions pollingOnlyOptions()
{
    SocketIo::ServerOptions options = serverOptions();
    options.websocketEnabled = false;
    return options;
}

/*! The session property openedOver() reads: the transport of its handshake. */
constexpr const char *kOpenedOver = "testServerOpenedOver";

} // namespace

TestServer::TestServer(QObject *parent)
    : QObject(parent)
    , m_server(std::make_unique<SocketIo::Server>(serverOptions()))
    , m_pollingOnly(std::make_unique<SocketIo::Server>(pollingOnlyOptions()))
{
    for (SocketIo::Server *server : {m_server.get(), m_pollingOnly.get()}) {
        server->of(u"/private"_s)->use([](SocketIo::Socket *, const SocketIo::Next &next) {
            next(u"not authorized"_s, QCborMap{{u"code"_s, 42}});
        });
        QObject::connect(server, &SocketIo::Server::connection, this, &TestServer::onConnection);
        QObject::connect(server->of(u"/custom"_s), &SocketIo::Namespace::connection, this,
                         &TestServer::onConnection);
        server->listen(QHostAddress::LocalHost, 0);
        // the handshake's transport, before any upgrade (the engine exists once listening)
        if (server->engine()) {
            QObject::connect(server->engine(), &SocketIo::EngineServer::connection, this,
                             [](SocketIo::EngineSession *session) {
                                 session->setProperty(kOpenedOver, session->transportName());
                             });
        }
    }
    m_cookiePort = new QTcpServer(this);
    QObject::connect(m_cookiePort, &QTcpServer::newConnection, this, &TestServer::onCookiePortConnection);
    m_cookiePort->listen(QHostAddress::LocalHost, 0);
    // accepted by the kernel (listen backlog), never answered
    m_silentPort = new QTcpServer(this);
    m_silentPort->listen(QHostAddress::LocalHost, 0);
}

TestServer::~TestServer()
{
    // the server's sockets report their disconnect into the bookkeeping below: stop it first
    m_server.reset();
    m_pollingOnly.reset();
}

bool TestServer::isListening() const
{
    return m_server->isListening() && m_pollingOnly->isListening() && m_cookiePort->isListening()
        && m_silentPort->isListening();
}

QString TestServer::cookieUrl() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_cookiePort->serverPort());
}

QString TestServer::silentUrl() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_silentPort->serverPort());
}

QString TestServer::pollingOnlyUrl() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_pollingOnly->serverPort());
}

int TestServer::cookieRequests() const
{
    return m_cookieRequests;
}

QString TestServer::namespaceOf(const QString &tag) const
{
    return m_namespaces.value(tag);
}

QString TestServer::joinedOver(const QString &tag) const
{
    return m_joinedOver.value(tag);
}

QString TestServer::openedOver(const QString &tag) const
{
    return m_openedOver.value(tag);
}

QString TestServer::transportOf(const QString &tag) const
{
    const SocketIo::Socket *socket = m_sockets.value(tag);
    return socket && socket->isConnected() ? socket->conn()->transportName() : QString();
}

bool TestServer::dropConnection(const QString &tag)
{
    SocketIo::Socket *socket = m_sockets.value(tag);
    if (!socket || !socket->isConnected())
        return false;
    socket->conn()->abort();
    return true;
}

void TestServer::onCookiePortConnection()
{
    while (QTcpSocket *socket = m_cookiePort->nextPendingConnection()) {
        // connected before the engine's own readyRead handler, so this sees each request head
        // before the engine reads it (the engine reads everything available each time; peek()
        // leaves the bytes to it)
        QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
            const QList<QByteArray> lines = socket->peek(socket->bytesAvailable()).split('\n');
            for (const QByteArray &line : lines) {
                if (line.toLower().startsWith("cookie:") && line.contains("io=")) {
                    ++m_cookieRequests;
                    Q_EMIT cookieRequestsChanged();
                }
            }
        });
        m_server->engine()->handleConnection(socket);
    }
}

QString TestServer::url() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_server->serverPort());
}

QString TestServer::lastArgs() const
{
    return m_lastArgs;
}

QString TestServer::lastBinaryHex() const
{
    return m_lastBinaryHex;
}

int TestServer::connections(const QString &tag) const
{
    return m_connections.value(tag);
}

QString TestServer::disconnectReason(const QString &tag) const
{
    return m_disconnectReasons.value(tag);
}

QString TestServer::lastAnswer() const
{
    return m_lastAnswer;
}

int TestServer::answers() const
{
    return m_answers;
}

bool TestServer::askClient(const QString &tag, const QString &event, const QVariantList &args)
{
    SocketIo::Socket *socket = m_sockets.value(tag);
    if (!socket || !socket->isConnected())
        return false;
    SocketIo::AckReply *reply = socket->emitWithAck(event, QCborArray::fromVariantList(args));
    QObject::connect(reply, &SocketIo::AckReply::finished, this, [this, reply] {
        m_lastAnswer = reply->error() == SocketIo::AckReply::Error::NoError
            ? QCborValue(reply->args()).toDiagnosticNotation()
            : u"error: "_s + reply->errorString();
        ++m_answers;
        Q_EMIT answered();
    });
    return true;
}

void TestServer::onConnection(SocketIo::Socket *socket)
{
    const QString tag = socket->handshake().auth.value(u"tag"_s).toString();
    ++m_connections[tag];
    m_sockets.insert(tag, socket);
    m_namespaces.insert(tag, socket->nsp()->name());
    m_joinedOver.insert(tag, socket->conn()->transportName());
    m_openedOver.insert(tag, socket->conn()->property(kOpenedOver).toString());
    QObject::connect(socket, &SocketIo::Socket::disconnected, this,
                     [this, tag](SocketIo::DisconnectReason reason, const QString &) {
                         m_disconnectReasons[tag] = SocketIo::reasonString(reason);
                     });
    socket->on(u"message"_s, socket, [socket](const SocketIo::Message &m) {
        socket->emitEvent(u"message-back"_s, m.args());
    });
    socket->on(u"message-with-ack"_s, socket, [](const SocketIo::Message &m) { m.ack(m.args()); });
    socket->on(u"record"_s, socket, [this](const SocketIo::Message &m) {
        m_lastArgs = QCborValue(m.args()).toDiagnosticNotation();
        Q_EMIT recorded();
        m.ack();
    });
    socket->on(u"binary"_s, socket, [this, socket](const SocketIo::Message &m) {
        const QCborValue first = m.args().at(0);
        m_lastBinaryHex = first.isByteArray() ? QString::fromLatin1(first.toByteArray().toHex())
                                              : u"not binary: "_s + first.toDiagnosticNotation();
        Q_EMIT recorded();
        socket->emitEvent(u"binary-back"_s, m.args());
    });
    socket->on(u"ask-mixed"_s, socket, [socket](const SocketIo::Message &) {
        const QCborMap nested{
            {u"text"_s, u"hi"_s},
            {u"n"_s, 42},
            {u"pi"_s, 3.5},
            {u"flag"_s, true},
            {u"none"_s, nullptr},
            {u"list"_s, QCborArray{1, u"two"_s, QCborArray{3}}},
            {u"bytes"_s, QByteArray::fromHex("0001ff")},
        };
        socket->emitEvent(u"mixed"_s, {nested, QByteArray("abc")});
    });
    socket->on(u"kick"_s, socket, [socket](const SocketIo::Message &) { socket->disconnect(); });
}
