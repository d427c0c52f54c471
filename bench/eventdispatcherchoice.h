// The bench servers' --event-dispatcher epoll|qt, chosen before QCoreApplication exists (a
// dispatcher must be installed first): SocketIo::EpollEventDispatcher where it exists (the
// default), else Qt's own. QCommandLineParser sees the option again later; isValid() tells.
#pragma once

#include <SocketIo/epolleventdispatcher.h>

#include <QByteArray>
#include <QCoreApplication>

struct EventDispatcherChoice
{
    QByteArray name;

    /*! Reads --event-dispatcher NAME / --event-dispatcher=NAME from \a argv and installs the
        epoll dispatcher for the main thread when that is the choice. */
    static EventDispatcherChoice install(int argc, char *argv[])
    {
        EventDispatcherChoice choice;
#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
        choice.name = "epoll";
#else
        choice.name = "qt";
#endif
        for (int i = 1; i < argc; ++i) {
            const QByteArray arg = argv[i];
            if (arg.startsWith("--event-dispatcher="))
                choice.name = arg.mid(int(qstrlen("--event-dispatcher=")));
            else if (arg == "--event-dispatcher" && i + 1 < argc)
                choice.name = argv[i + 1];
        }
#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
        if (choice.name == "epoll")
            QCoreApplication::setEventDispatcher(new SocketIo::EpollEventDispatcher);
#endif
        return choice;
    }

    bool isValid() const
    {
#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
        if (name == "epoll")
            return true;
#endif
        return name == "qt";
    }
};
