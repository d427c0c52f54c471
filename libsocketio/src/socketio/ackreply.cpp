#include "ackreply.h"

#include "ackreply_p.h"

#include <QPointer>

namespace SocketIo {

AckReply *AckReplyPrivate::create()
{
    return new AckReply();
}

void AckReplyPrivate::startTimer(std::chrono::milliseconds timeout)
{
    Q_Q(AckReply);
    if (!timer) {
        timer = new QTimer(q);
        timer->setSingleShot(true);
        // an ack timeout is a deadline the peer can race (socket.io's setTimeout is ~1 ms precise);
        // Qt's default coarse timer may fire 5 % early or late
        timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(timer, &QTimer::timeout, q, [this] { finish(AckReply::Error::Timeout, args); });
    }
    timer->start(timeout);
}

void AckReplyPrivate::finish(AckReply::Error err, const QCborArray &result)
{
    Q_Q(AckReply);
    if (finished)
        return;
    finished = true;
    error = err;
    args = result;
    if (timer)
        timer->stop();
    if (auto c = std::move(cleanup)) {
        cleanup = nullptr;
        c();
    }
    QPointer<AckReply> guard(q);
    Q_EMIT q->finished();
    if (guard && autoDelete)
        q->deleteLater();
}

void AckReplyPrivate::finishLater(AckReply::Error err, const QCborArray &result)
{
    Q_Q(AckReply);
    QMetaObject::invokeMethod(q, [this, err, result] { finish(err, result); }, Qt::QueuedConnection);
}

AckReply::AckReply(QObject *parent)
    : QObject(parent), d_ptr(new AckReplyPrivate)
{
    d_ptr->q_ptr = this;
}

AckReply::~AckReply()
{
    Q_D(AckReply);
    if (auto c = std::move(d->cleanup)) {
        d->cleanup = nullptr;
        c();
    }
}

bool AckReply::isFinished() const { return d_func()->finished; }
AckReply::Error AckReply::error() const { return d_func()->error; }

QString AckReply::errorString() const
{
    switch (d_func()->error) {
    case Error::NoError:
        return QString();
    case Error::Timeout:
        return QStringLiteral("operation has timed out");
    case Error::Disconnected:
        return QStringLiteral("socket has been disconnected");
    case Error::NotSent:
        return QStringLiteral("the event was not sent");
    }
    return QString();
}

QCborArray AckReply::args() const { return d_func()->args; }
QCborArray AckReply::responses() const { return d_func()->responses; }
bool AckReply::autoDelete() const { return d_func()->autoDelete; }
void AckReply::setAutoDelete(bool autoDelete) { d_func()->autoDelete = autoDelete; }

} // namespace SocketIo
