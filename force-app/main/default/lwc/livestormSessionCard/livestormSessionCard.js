import { LightningElement, api, wire } from 'lwc';
import { getRecord, getFieldValue } from 'lightning/uiRecordApi';
import SESSION_ID_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Id__c';
import EVENT_TITLE_FIELD from '@salesforce/schema/Campaign.Livestorm_Event_Title__c';
import SESSION_START_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Start__c';
import EVENT_TYPE_FIELD from '@salesforce/schema/Campaign.Livestorm_Event_Type__c';
import SESSION_STATUS_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Status__c';
import REGISTRATION_LINK_FIELD from '@salesforce/schema/Campaign.Livestorm_Registration_Link__c';
import REGISTRANTS_FIELD from '@salesforce/schema/Campaign.Livestorm_Registrants__c';
import ATTENDEES_FIELD from '@salesforce/schema/Campaign.Livestorm_Attendees__c';
import NO_SHOWS_FIELD from '@salesforce/schema/Campaign.Livestorm_No_Shows__c';
import REPLAY_VIEWERS_FIELD from '@salesforce/schema/Campaign.Livestorm_Replay_Viewers__c';

// The session id decides between the card and the empty state, so it must be readable; the rest is optional
// so that a user missing one field still sees the others.
const REQUIRED_FIELDS = [SESSION_ID_FIELD];
const OPTIONAL_FIELDS = [
    EVENT_TITLE_FIELD,
    SESSION_START_FIELD,
    EVENT_TYPE_FIELD,
    SESSION_STATUS_FIELD,
    REGISTRATION_LINK_FIELD,
    REGISTRANTS_FIELD,
    ATTENDEES_FIELD,
    NO_SHOWS_FIELD,
    REPLAY_VIEWERS_FIELD
];

const SESSION_STATUS_LABELS = {
    upcoming: 'Upcoming',
    live: 'Live now',
    past: 'Past',
    past_not_started: 'Past, never started',
    canceled: 'Canceled',
    on_demand: 'On-demand',
    draft: 'Draft'
};

export default class LivestormSessionCard extends LightningElement {
    @api recordId;

    @wire(getRecord, { recordId: '$recordId', fields: REQUIRED_FIELDS, optionalFields: OPTIONAL_FIELDS })
    campaign;

    get isLoading() {
        return !this.campaign || (!this.campaign.data && !this.campaign.error);
    }

    get error() {
        return this.campaign?.error;
    }

    get isLinked() {
        return !!this.value(SESSION_ID_FIELD);
    }

    get sessionId() {
        return this.value(SESSION_ID_FIELD);
    }

    get eventTitle() {
        return this.value(EVENT_TITLE_FIELD) || 'Untitled event';
    }

    get sessionStart() {
        return this.value(SESSION_START_FIELD);
    }

    get eventType() {
        return this.value(EVENT_TYPE_FIELD) || 'Unknown';
    }

    get sessionStatus() {
        const status = this.value(SESSION_STATUS_FIELD);
        if (!status) {
            return 'Unknown';
        }
        return SESSION_STATUS_LABELS[status] ?? status;
    }

    get registrationLink() {
        return this.value(REGISTRATION_LINK_FIELD);
    }

    get counts() {
        return [
            { key: 'registrants', label: 'Registrants', value: this.count(REGISTRANTS_FIELD) },
            { key: 'attendees', label: 'Attendees', value: this.count(ATTENDEES_FIELD) },
            { key: 'no-shows', label: 'No-shows', value: this.count(NO_SHOWS_FIELD) },
            { key: 'replay-viewers', label: 'Replay viewers', value: this.count(REPLAY_VIEWERS_FIELD) }
        ];
    }

    value(field) {
        return this.campaign?.data ? getFieldValue(this.campaign.data, field) : undefined;
    }

    // The listener writes the counts with the members; until its first sync they are empty, which means none.
    count(field) {
        return this.value(field) ?? 0;
    }
}
