// A minimal chat client for examples/chat-server (or any Socket.IO server with a "message" event):
//   chat-client http://localhost:3000
// Each line typed on standard input is emitted as a "message" event; each "message" event
// received is printed as `message <arguments as compact JSON>` (binary as {"_binary":"<hex>"}).
// Prints `connect <id>` and `disconnect <reason>`; reconnects by itself. Ends at end of input.
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>

#include <QCborArray>
#include <QCborMap>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

// JSON for printing: byte strings become {"_binary":"<hex>"} instead of Qt's base64 strings.
QJsonValue toJson(const QCborValue &value)
{
    if (value.isByteArray())
        return QJsonObject{{u"_binary"_s, QString::fromLatin1(value.toByteArray().toHex())}};
    if (value.isArray()) {
        QJsonArray array;
        for (const QCborValue &v : value.toArray())
            array.append(toJson(v));
        return array;
    }
    if (value.isMap()) {
        QJsonObject object;
        const QCborMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            object.insert(it.key().toString(), toJson(it.value()));
        return object;
    }
    return value.toJsonValue();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"chat-client"_s);
    QTextStream out(stdout);
    QTextStream err(stderr);

    const QStringList args = app.arguments();
    const QUrl url = args.size() == 2 ? QUrl(args.at(1)) : QUrl();
    if (!url.isValid() || url.host().isEmpty()) {
        err << "usage: chat-client URL   (e.g. http://localhost:3000)" << Qt::endl;
        return 2;
    }

    SocketIo::Client client(url);
    SocketIo::ClientSocket *socket = client.socket(url.path().isEmpty() ? u"/"_s : url.path());

    QObject::connect(socket, &SocketIo::ClientSocket::connected, &app,
                     [&out, socket] { out << "connect " << socket->id() << Qt::endl; });
    QObject::connect(socket, &SocketIo::ClientSocket::disconnected, &app,
                     [&out](SocketIo::DisconnectReason reason) {
        out << "disconnect " << SocketIo::reasonString(reason) << Qt::endl;
    });
    QObject::connect(socket, &SocketIo::ClientSocket::connectError, &app,
                     [&err](const QString &message) { err << "connect_error " << message << Qt::endl; });
    socket->on(u"message"_s, &app, [&out](const SocketIo::Message &m) {
        const QByteArray json = QJsonDocument(toJson(QCborValue(m.args())).toArray()).toJson(QJsonDocument::Compact);
        out << "message " << QString::fromUtf8(json) << Qt::endl;
    });

    // standard input, line by line, without a thread
    QByteArray pending;
    QSocketNotifier notifier(STDIN_FILENO, QSocketNotifier::Read);
    auto leave = [&] {
        // leave cleanly: DISCONNECT and the engine close go out before we quit
        SocketIo::EngineClient *engine = client.engine();
        if (engine && engine->state() != SocketIo::EngineClient::State::Closed) {
            QObject::connect(engine, &SocketIo::EngineClient::closed, &app, &QCoreApplication::quit);
            QTimer::singleShot(3000, &app, &QCoreApplication::quit);
        } else {
            QTimer::singleShot(0, &app, &QCoreApplication::quit);
        }
        socket->close();   // socket.disconnect(): DISCONNECT, then the last socket closes the engine
    };
    // at end of input, lines still buffered go out first (once connected)
    auto finish = [&] {
        notifier.setEnabled(false);
        if (socket->isConnected() || !socket->isActive())
            leave();
        else
            QObject::connect(socket, &SocketIo::ClientSocket::connected, &app, leave, Qt::QueuedConnection);
    };
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) {
            if (!pending.isEmpty())
                socket->send({QString::fromUtf8(std::exchange(pending, {}))});
            finish();
            return;
        }
        pending.append(buffer, n);
        qsizetype newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
            QByteArray line = pending.left(newline);
            pending.remove(0, newline + 1);
            if (line.endsWith('\r'))
                line.chop(1);
            socket->send({QString::fromUtf8(line)});
        }
    });

    return app.exec();
}
