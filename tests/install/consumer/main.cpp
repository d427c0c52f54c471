// Links against the installed SocketIo::SocketIo, creates a server (proving its class is exported
// and its headers are usable as installed) and prints the library version.
#include <SocketIo/server.h>
#include <SocketIo/version.h>

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    SocketIo::Server server;
    QTextStream(stdout) << "SocketIo " << SocketIo::libraryVersion() << " (Engine.IO "
                        << SocketIo::EngineIoProtocol << ", Socket.IO " << SocketIo::SocketIoProtocol
                        << ", listening: " << (server.isListening() ? "yes" : "no") << ")\n";
    return 0;
}
