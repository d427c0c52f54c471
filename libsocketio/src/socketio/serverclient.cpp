#include "serverclient_p.h"

#include "logging_p.h"
#include "namespace_p.h"
#include "server_p.h"
#include "socket_p.h"
#include "util_p.h"

#include "engineio/enginesession_p.h"

#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

namespace SocketIo {

ServerClient::ServerClient(Server *server, EngineSession *session)
    : QObject(session), m_server(server), m_session(session)
{
    EngineSessionPrivate *d = EngineSessionPrivate::get(session);
    Q_ASSERT(!d->receiver);
    d->receiver = this;
    // the connect timeout is kept by the server (ServerPrivate::watchConnect)
    // an event's name is decoded into a string of its own, not into the arguments' array
    m_decoder.setSeparateEventName(true);
}

void ServerClient::onConnectTimeout()
{
    if (m_closed || m_joined || !m_nsps.isEmpty())
        return;
    qCDebug(lcServer, "session %s joined no namespace within connectTimeout; closing",
            qUtf8Printable(m_session ? m_session->id() : QString()));
    close();
}

ServerClient::~ServerClient()
{
    // (null while the session itself is being destroyed, our parent: its private part is gone)
    if (m_session) {
        EngineSessionPrivate *d = EngineSessionPrivate::get(m_session);
        if (d->receiver == this)
            d->receiver = nullptr;
    }
    // the session is going away without a closed() we saw: let the sockets leave
    if (!m_closed)
        onClose(DisconnectReason::ForcedClose, QString());
}

bool ServerClient::isOpen() const
{
    return !m_closed && m_session && m_session->state() == EngineSession::State::Open;
}

bool ServerClient::writePacket(const Protocol::Packet &packet, bool isVolatile, bool compress)
{
    if (!isOpen())
        return false;
    return writeEncoded(Protocol::encodePacket(packet), isVolatile, compress);
}

bool ServerClient::writeEncoded(const Protocol::EncodedPacket &encoded, bool isVolatile, bool compress)
{
    if (!isOpen())
        return false;
    if (isVolatile && !m_session->isWritable()) {
        qCDebug(lcServer, "volatile packet dropped: transport not writable");
        return false;
    }
    // Our encoder writes valid UTF-8: framed here once, sent by the engine as it is.
    EngineSessionPrivate::get(m_session)->sendFramed(
        encoded.text.isEmpty() ? QByteArrayLiteral("4") : Protocol::messageText(encoded.text),
        encoded.attachments, compress);
    return true;
}

bool ServerClient::writeFramed(const QByteArray &message, bool compress)
{
    if (!isOpen())
        return false;
    EngineSessionPrivate::get(m_session)->sendFramed(message, {}, compress);
    return true;
}

bool ServerClient::writeEncoded(const EncodedPacket &encoded, bool isVolatile, bool compress)
{
    if (!isOpen())
        return false;
    if (isVolatile && !m_session->isWritable()) {
        qCDebug(lcServer, "volatile packet dropped: transport not writable");
        return false;
    }
    // Adapter::encode() framed the message once for every recipient of a broadcast: each
    // session sends those very bytes. Without it (an EncodedPacket built by other means) the
    // engine frames the text and replaces invalid UTF-8.
    const EngineSession::SendFlags flags = compress ? EngineSession::NoSendFlags : EngineSession::NoCompress;
    if (encoded.engineMessage.size() == encoded.text.size() + 1)
        EngineSessionPrivate::get(m_session)->sendFramed(encoded.engineMessage, encoded.attachments, compress);
    else if (encoded.attachments.isEmpty())
        m_session->sendText(encoded.text, flags);
    else
        m_session->sendMessages(encoded.text, encoded.attachments, flags);
    return true;
}

bool ServerClient::ignoresInput() const
{
    if (!m_closed && !m_closing)
        return false;
    // e.g. the rest of a polling POST after a bad packet: the connection is going away
    qCDebug(lcServer, "session %s: message after the connection started closing ignored",
            qUtf8Printable(m_session ? m_session->id() : QString()));
    return true;
}

void ServerClient::onText(const QByteArray &utf8)
{
    if (ignoresInput())
        return;
    switch (m_decoder.addText(utf8)) {
    case Protocol::Decoder::Result::NeedMore:
        break;
    case Protocol::Decoder::Result::Packet:
        onDecoded(m_decoder.takePacket());
        break;
    case Protocol::Decoder::Result::Error:
        onDecodeError(m_decoder.errorString());
        break;
    }
}

void ServerClient::onBinary(const QByteArray &bytes)
{
    if (ignoresInput())
        return;
    switch (m_decoder.addBinary(bytes)) {
    case Protocol::Decoder::Result::NeedMore:
        break;
    case Protocol::Decoder::Result::Packet:
        onDecoded(m_decoder.takePacket());
        break;
    case Protocol::Decoder::Result::Error:
        onDecodeError(m_decoder.errorString());
        break;
    }
}

void ServerClient::onDecoded(Protocol::Packet &&packet)
{
    const QString nsp = packet.nsp;
    if (packet.type == Protocol::PacketType::Connect) {
        if (socketOf(nsp) || m_connecting.contains(nsp)) {
            qCWarning(lcServer, "session %s: duplicate CONNECT for %s; closing the connection",
                      qUtf8Printable(m_session->id()), qUtf8Printable(nsp));
            close();
            return;
        }
        if (m_leftThisPass.contains(nsp)) {
            // socket.io handles a DISCONNECT on a later tick, so a CONNECT behind it in the same
            // read still finds the socket: "invalid state", the connection is closed
            qCWarning(lcServer, "session %s: CONNECT for %s right after its DISCONNECT in the same read; "
                      "closing the connection", qUtf8Printable(m_session->id()), qUtf8Printable(nsp));
            close();
            return;
        }
        connectNamespace(nsp, packet.data.isMap() ? packet.data.toMap() : QCborMap());
        return;
    }
    if (packet.type == Protocol::PacketType::ConnectError) {
        qCWarning(lcServer, "session %s: CONNECT_ERROR from a client; closing the connection",
                  qUtf8Printable(m_session->id()));
        close();
        return;
    }
    const QPointer<Socket> socket = socketOf(nsp);
    if (!socket && m_leftThisPass.contains(nsp)) {
        qCDebug(lcServer, "session %s: packet type %d for %s after its DISCONNECT in the same read; dropped",
                qUtf8Printable(m_session->id()), int(packet.type), qUtf8Printable(nsp));
        return;
    }
    if (!socket) {
        qCWarning(lcServer, "session %s: packet type %d for namespace %s not joined; closing the connection",
                  qUtf8Printable(m_session->id()), int(packet.type), qUtf8Printable(nsp));
        close();
        return;
    }
    if (packet.type == Protocol::PacketType::Disconnect) {
        if (m_leftThisPass.isEmpty())
            QMetaObject::invokeMethod(this, [this] { m_leftThisPass.clear(); }, Qt::QueuedConnection);
        m_leftThisPass.append(nsp);
    }
    SocketPrivate::get(socket)->onPacket(std::move(packet));
}

void ServerClient::onDecodeError(const QString &error)
{
    qCWarning(lcServer, "session %s: invalid Socket.IO packet (%s); closing the connection",
              qUtf8Printable(m_session ? m_session->id() : QString()), qUtf8Printable(error));
    // The engine may still deliver the rest of the payload before it reports the close: none of
    // it may reach a handler. The sockets stay until then, to leave with the engine's reason.
    m_closing = true;
    const auto list = sockets();
    for (const QPointer<Socket> &socket : list) {
        if (socket)
            SocketPrivate::get(socket)->onError(error);
    }
    m_decoder.reset();
    if (m_session)
        m_session->close();
}

void ServerClient::connectNamespace(const QString &name, const QCborMap &auth)
{
    if (!m_server)
        return;
    ServerPrivate *server = ServerPrivate::get(m_server);
    Namespace *existing = server->nsps.value(name);
    if (existing) {
        doConnect(existing, auth);
        return;
    }
    m_connecting.append(name);
    QPointer<ServerClient> guard(this);
    server->checkNamespace(name, auth, 0, [guard, name, auth](Namespace *nsp) {
        if (!guard)
            return;
        guard->removeConnecting(name);
        if (!guard->isOpen())
            return;
        if (!nsp) {
            qCDebug(lcServer, "CONNECT to unknown namespace %s refused", qUtf8Printable(name));
            guard->refuseConnect(name, QStringLiteral("Invalid namespace"));
            return;
        }
        guard->doConnect(nsp, auth);
    });
}

void ServerClient::doConnect(Namespace *nsp, const QCborMap &auth)
{
    m_connecting.append(nsp->name());
    NamespacePrivate::get(nsp)->add(this, auth);
}

void ServerClient::onNamespaceConnected(const QString &nsp, Socket *socket)
{
    removeConnecting(nsp);
    if (!socket)
        return;
    bool replaced = false;
    for (auto &entry : m_nsps) {
        if (entry.first == nsp) {   // as QHash::insert did
            entry.second = socket;
            replaced = true;
            break;
        }
    }
    if (!replaced)
        m_nsps.append({nsp, QPointer<Socket>(socket)});
    m_joined = true;
}

void ServerClient::refuseConnect(const QString &nsp, const QString &message, const QCborValue &data)
{
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::ConnectError;
    packet.nsp = nsp;
    QCborMap payload;
    payload.insert(QStringLiteral("message"), message);
    if (!data.isUndefined())
        payload.insert(QStringLiteral("data"), data);
    packet.data = payload;
    writePacket(packet);
}

void ServerClient::close()
{
    if (m_closed)
        return;
    m_closing = true;
    if (m_session && m_session->state() == EngineSession::State::Open)
        m_session->close();
    onClose(DisconnectReason::ForcedServerClose, QString());
}

Socket *ServerClient::socketOf(const QString &nsp) const
{
    for (const auto &entry : m_nsps) {
        if (entry.first == nsp)
            return entry.second;
    }
    return nullptr;
}

QList<QPointer<Socket>> ServerClient::sockets() const
{
    QList<QPointer<Socket>> list;
    list.reserve(m_nsps.size());
    for (const auto &entry : m_nsps)
        list.append(entry.second);
    return list;
}

void ServerClient::removeConnecting(const QString &nsp)
{
    for (qsizetype i = 0; i < m_connecting.size(); ++i) {
        if (m_connecting.at(i) == nsp) {
            m_connecting.remove(i);
            return;
        }
    }
}

void ServerClient::disconnectAll()
{
    const auto list = sockets();
    for (const QPointer<Socket> &socket : list) {
        if (socket)
            socket->disconnect(false);
    }
    m_nsps.clear();
    close();
}

void ServerClient::removeSocket(Socket *socket)
{
    m_nsps.removeIf([socket](const std::pair<QString, QPointer<Socket>> &entry) {
        return entry.second == socket || entry.second.isNull();
    });
}

void ServerClient::onClosed(const QString &reason, const QString &description)
{
    bool known = false;
    DisconnectReason r = disconnectReasonFromString(reason, &known);
    if (!known)
        qCDebug(lcServer, "unknown engine close reason \"%s\"", qUtf8Printable(reason));
    onClose(r, description);
}

void ServerClient::onClose(DisconnectReason reason, const QString &description)
{
    if (m_closed)
        return;
    m_closed = true;
    const auto list = sockets();
    m_nsps.clear();
    for (const QPointer<Socket> &socket : list) {
        if (socket)
            SocketPrivate::get(socket)->onClose(reason, description);
    }
    m_decoder.reset();
    if (m_server)
        ServerPrivate::get(m_server)->clients.remove(this);
}

} // namespace SocketIo
