#include "message.h"

#include "logging_p.h"
#include "message_p.h"
#include "socket_p.h"
#include "util_p.h"

namespace SocketIo {

Message MessagePrivate::create(Socket *socket, const QString &event, const QCborArray &args, qint64 ackId)
{
    Message message;
    message.d = std::make_shared<MessagePrivate>();
    message.d->socket = socket;
    message.d->event = event;
    message.d->args = args;
    message.d->ackId = ackId;
    return message;
}

Message MessagePrivate::createForClient(ClientSocket *socket, const QString &event, const QCborArray &args,
                                        qint64 ackId, std::function<bool(const QCborArray &)> ack)
{
    Message message;
    message.d = std::make_shared<MessagePrivate>();
    message.d->clientSocket = socket;
    message.d->event = event;
    message.d->args = args;
    message.d->ackId = ackId;
    message.d->clientAck = std::move(ack);
    return message;
}

Message::Message() = default;
Message::~Message() = default;
Message::Message(const Message &other) = default;
Message &Message::operator=(const Message &other) = default;

bool Message::isValid() const { return bool(d); }
QString Message::event() const { return d ? d->event : QString(); }
QCborArray Message::args() const { return d ? d->args : QCborArray(); }
bool Message::needsAck() const { return d && d->ackId >= 0; }
qint64 Message::ackId() const { return d ? d->ackId : -1; }
bool Message::isAcknowledged() const { return d && d->acknowledged; }
Socket *Message::socket() const { return d ? d->socket.data() : nullptr; }
ClientSocket *Message::clientSocket() const { return d ? d->clientSocket.data() : nullptr; }

bool Message::ack(const QCborArray &args) const
{
    if (!d || d->ackId < 0)
        return false;
    if (d->acknowledged) {
        qCDebug(lcServer, "ack for \"%s\" already sent; ignored", qUtf8Printable(d->event));
        return false;
    }
    // refused before counting as sent, so the handler may still ack with fewer buffers (the
    // client's acks too)
    if (Internal::refuseTooManyAttachments(args, d->event, "Message::ack"))
        return false;
    if (d->clientAck) {
        d->acknowledged = true;
        auto send = std::move(d->clientAck);
        d->clientAck = nullptr;
        return send(args);
    }
    d->acknowledged = true;
    if (!d->socket || !d->socket->isConnected()) {
        qCDebug(lcServer, "ack for \"%s\": socket is gone; dropped", qUtf8Printable(d->event));
        return false;
    }
    return SocketPrivate::get(d->socket)->sendAck(d->ackId, args);
}

bool Message::ack(std::initializer_list<QCborValue> args) const { return ack(Internal::toCbor(args)); }
bool Message::ack(const QJsonArray &args) const { return ack(Internal::toCbor(args)); }
bool Message::ack(const QVariantList &args) const { return ack(Internal::toCbor(args)); }

Next::Next(std::function<void(bool, const MiddlewareError &)> callback)
    : d(std::make_shared<NextPrivate>())
{
    d->callback = std::move(callback);
}

Next::~Next() = default;
Next::Next(const Next &other) = default;
Next &Next::operator=(const Next &other) = default;

void Next::operator()() const
{
    if (d->called) {
        qCWarning(lcServer, "middleware called next() more than once; ignored");
        return;
    }
    d->called = true;
    auto callback = std::move(d->callback);
    d->callback = nullptr;
    if (callback)
        callback(true, MiddlewareError());
}

void Next::operator()(const QString &message, const QCborValue &data) const
{
    (*this)(MiddlewareError{message, data});
}

void Next::operator()(const MiddlewareError &error) const
{
    if (d->called) {
        qCWarning(lcServer, "middleware called next() more than once; ignored");
        return;
    }
    d->called = true;
    auto callback = std::move(d->callback);
    d->callback = nullptr;
    if (callback)
        callback(false, error);
}

bool Next::isCalled() const { return d->called; }

} // namespace SocketIo
