import { LightningElement, wire } from 'lwc';
import { getRecord, getFieldValue } from 'lightning/uiRecordApi';
import { getObjectInfos } from 'lightning/uiObjectInfoApi';
import USER_ID from '@salesforce/user/Id';
import hasApiEnabled from '@salesforce/userPermission/ApiEnabled';
import MARKETING_USER_FIELD from '@salesforce/schema/User.UserPermissionsMarketingUser';
import USER_NAME_FIELD from '@salesforce/schema/User.Name';
import CAMPAIGN_OBJECT from '@salesforce/schema/Campaign';
import CAMPAIGN_MEMBER_OBJECT from '@salesforce/schema/CampaignMember';
import LEAD_OBJECT from '@salesforce/schema/Lead';
import CONTACT_OBJECT from '@salesforce/schema/Contact';
import CAMPAIGN_SESSION_ID_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Id__c';
import CAMPAIGN_EVENT_ID_FIELD from '@salesforce/schema/Campaign.Livestorm_Event_Id__c';
import CAMPAIGN_EVENT_TITLE_FIELD from '@salesforce/schema/Campaign.Livestorm_Event_Title__c';
import CAMPAIGN_SESSION_START_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Start__c';
import CAMPAIGN_REGISTRATION_LINK_FIELD from '@salesforce/schema/Campaign.Livestorm_Registration_Link__c';
import CAMPAIGN_EVENT_TYPE_FIELD from '@salesforce/schema/Campaign.Livestorm_Event_Type__c';
import CAMPAIGN_SESSION_STATUS_FIELD from '@salesforce/schema/Campaign.Livestorm_Session_Status__c';
import CAMPAIGN_REGISTRANTS_FIELD from '@salesforce/schema/Campaign.Livestorm_Registrants__c';
import CAMPAIGN_ATTENDEES_FIELD from '@salesforce/schema/Campaign.Livestorm_Attendees__c';
import CAMPAIGN_NO_SHOWS_FIELD from '@salesforce/schema/Campaign.Livestorm_No_Shows__c';
import CAMPAIGN_REPLAY_VIEWERS_FIELD from '@salesforce/schema/Campaign.Livestorm_Replay_Viewers__c';
import MEMBER_REPLAY_STATUS_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Replay_Status__c';
import MEMBER_ATTENDANCE_DURATION_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Attendance_Duration__c';
import MEMBER_ATTENDANCE_RATE_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Attendance_Rate__c';
import MEMBER_MESSAGES_COUNT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Messages_Count__c';
import MEMBER_QUESTIONS_COUNT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Questions_Count__c';
import MEMBER_VOTES_COUNT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Votes_Count__c';
import MEMBER_UP_VOTES_COUNT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Up_Votes_Count__c';
import MEMBER_JOIN_LINK_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Join_Link__c';
import MEMBER_REGISTERED_AT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Registered_At__c';
import MEMBER_REPLAY_WATCHED_AT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Replay_Watched_At__c';
import MEMBER_PERSON_ID_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Person_Id__c';
import MEMBER_UTM_SOURCE_FIELD from '@salesforce/schema/CampaignMember.Livestorm_UTM_Source__c';
import MEMBER_UTM_MEDIUM_FIELD from '@salesforce/schema/CampaignMember.Livestorm_UTM_Medium__c';
import MEMBER_UTM_CAMPAIGN_FIELD from '@salesforce/schema/CampaignMember.Livestorm_UTM_Campaign__c';
import MEMBER_UTM_TERM_FIELD from '@salesforce/schema/CampaignMember.Livestorm_UTM_Term__c';
import MEMBER_UTM_CONTENT_FIELD from '@salesforce/schema/CampaignMember.Livestorm_UTM_Content__c';
import MEMBER_REFERRER_FIELD from '@salesforce/schema/CampaignMember.Livestorm_Referrer__c';
import { reduceErrors } from 'c/ldsUtils';

const ACCESS_FIX =
    'Assign the Livestorm Integration permission set to this user (npm run org:permsets), or grant the same access in the profile.';
const DEPLOY_FIX =
    'Deploy the Livestorm package (npm run org:deploy), then assign the Livestorm Integration permission set to this user.';

const OBJECT_CHECKS = [
    { id: 'campaign-access', object: CAMPAIGN_OBJECT, plural: 'Campaigns', fix: ACCESS_FIX },
    {
        id: 'campaign-member-access',
        object: CAMPAIGN_MEMBER_OBJECT,
        plural: 'Campaign Members',
        // Permission sets cannot grant Campaign Member access directly: it follows from the other three objects.
        fix: 'Campaign Member access follows from read on Campaigns, edit on Leads and Contacts and the Marketing User checkbox: fix those first.'
    },
    { id: 'lead-access', object: LEAD_OBJECT, plural: 'Leads', fix: ACCESS_FIX },
    { id: 'contact-access', object: CONTACT_OBJECT, plural: 'Contacts', fix: ACCESS_FIX }
];

const OBJECT_API_NAMES = OBJECT_CHECKS.map((check) => check.object);

const CAMPAIGN_FIELDS = [
    CAMPAIGN_SESSION_ID_FIELD,
    CAMPAIGN_EVENT_ID_FIELD,
    CAMPAIGN_EVENT_TITLE_FIELD,
    CAMPAIGN_SESSION_START_FIELD,
    CAMPAIGN_REGISTRATION_LINK_FIELD,
    CAMPAIGN_EVENT_TYPE_FIELD,
    CAMPAIGN_SESSION_STATUS_FIELD,
    CAMPAIGN_REGISTRANTS_FIELD,
    CAMPAIGN_ATTENDEES_FIELD,
    CAMPAIGN_NO_SHOWS_FIELD,
    CAMPAIGN_REPLAY_VIEWERS_FIELD
];

// The Replay Status field has a check of its own: it is the one prerequisite the Livestorm documentation names.
const MEMBER_FIELDS = [
    MEMBER_ATTENDANCE_DURATION_FIELD,
    MEMBER_ATTENDANCE_RATE_FIELD,
    MEMBER_MESSAGES_COUNT_FIELD,
    MEMBER_QUESTIONS_COUNT_FIELD,
    MEMBER_VOTES_COUNT_FIELD,
    MEMBER_UP_VOTES_COUNT_FIELD,
    MEMBER_JOIN_LINK_FIELD,
    MEMBER_REGISTERED_AT_FIELD,
    MEMBER_REPLAY_WATCHED_AT_FIELD,
    MEMBER_PERSON_ID_FIELD,
    MEMBER_UTM_SOURCE_FIELD,
    MEMBER_UTM_MEDIUM_FIELD,
    MEMBER_UTM_CAMPAIGN_FIELD,
    MEMBER_UTM_TERM_FIELD,
    MEMBER_UTM_CONTENT_FIELD,
    MEMBER_REFERRER_FIELD
];

// The listener creates Campaigns, Leads and Contacts; Campaign Members only carry our own optional fields.
const CREATED_OBJECTS = [CAMPAIGN_OBJECT, LEAD_OBJECT, CONTACT_OBJECT];

const STATUS_DISPLAY = {
    pass: { iconName: 'utility:success', iconVariant: 'success', text: 'Pass' },
    fail: { iconName: 'utility:error', iconVariant: 'error', text: 'Fail' },
    unknown: { iconName: 'utility:question', iconVariant: 'warning', text: 'Not checked' }
};

function objectName(objectInfo) {
    return objectInfo.objectApiName;
}

function fieldName(field) {
    return field.fieldApiName;
}

function describeAccessError(result) {
    const messages = reduceErrors({ body: result });
    return messages.length ? messages.join(' ') : 'no access';
}

export default class LivestormSetupCheck extends LightningElement {
    @wire(getRecord, { recordId: USER_ID, fields: [MARKETING_USER_FIELD, USER_NAME_FIELD] })
    user;

    @wire(getObjectInfos, { objectApiNames: OBJECT_API_NAMES })
    objectInfos;

    get isLoading() {
        return !this.answered(this.user) || !this.answered(this.objectInfos);
    }

    get wireErrors() {
        return [this.user?.error, this.objectInfos?.error].filter((error) => !!error);
    }

    get hasWireErrors() {
        return this.wireErrors.length > 0;
    }

    get userName() {
        return getFieldValue(this.user.data, USER_NAME_FIELD);
    }

    get checks() {
        const infos = this.objectInfosByName();
        return [
            this.marketingUserCheck(),
            this.apiEnabledCheck(),
            ...OBJECT_CHECKS.map((check) => this.objectAccessCheck(check, infos)),
            this.fieldsCheck(
                'campaign-fields',
                'Livestorm fields on Campaign',
                infos[objectName(CAMPAIGN_OBJECT)],
                CAMPAIGN_FIELDS
            ),
            this.fieldsCheck(
                'campaign-member-fields',
                'Livestorm fields on Campaign Member',
                infos[objectName(CAMPAIGN_MEMBER_OBJECT)],
                MEMBER_FIELDS
            ),
            this.replayStatusCheck(infos[objectName(CAMPAIGN_MEMBER_OBJECT)]),
            this.requiredFieldsCheck(infos)
        ].map((check) => {
            const display = STATUS_DISPLAY[check.status];
            return {
                ...check,
                ...display,
                showFix: check.status !== 'pass',
                hasItems: !!check.items && check.items.length > 0,
                items: (check.items ?? []).map((text, index) => ({ key: `${check.id}-${index}`, text }))
            };
        });
    }

    get failedCount() {
        return this.checks.filter((check) => check.status === 'fail').length;
    }

    get allPass() {
        return this.checks.every((check) => check.status === 'pass');
    }

    get summary() {
        const total = this.checks.length;
        if (this.allPass) {
            return `All ${total} prerequisites pass.`;
        }
        const failed = this.failedCount;
        const unknown = this.checks.filter((check) => check.status === 'unknown').length;
        const parts = [];
        if (failed) {
            parts.push(`${failed} of ${total} prerequisites fail`);
        }
        if (unknown) {
            parts.push(`${unknown} could not be checked`);
        }
        return `${parts.join(', ')}.`;
    }

    get summaryClass() {
        return this.allPass
            ? 'summary slds-text-heading_small slds-text-color_success'
            : 'summary slds-text-heading_small slds-text-color_error';
    }

    answered(wired) {
        return !!wired && (!!wired.data || !!wired.error);
    }

    objectInfosByName() {
        const byName = {};
        const results = this.objectInfos.data.results ?? [];
        results.forEach((entry, index) => {
            const requested = objectName(OBJECT_API_NAMES[index]);
            byName[requested] =
                entry.statusCode === 200
                    ? { info: entry.result }
                    : { info: undefined, problem: describeAccessError(entry.result) };
        });
        return byName;
    }

    marketingUserCheck() {
        const ticked = getFieldValue(this.user.data, MARKETING_USER_FIELD) === true;
        return {
            id: 'marketing-user',
            label: 'Marketing User',
            status: ticked ? 'pass' : 'fail',
            detail: ticked
                ? 'Marketing User is ticked on your user record.'
                : 'Marketing User is not ticked on your user record: Salesforce refuses to create Campaigns, Campaign Member Statuses and Campaign Members without it.',
            fix: 'Setup › Users › edit the user › tick Marketing User. It is a checkbox on the user record; no permission set or profile can grant it.'
        };
    }

    apiEnabledCheck() {
        const enabled = !!hasApiEnabled;
        return {
            id: 'api-enabled',
            label: 'API Enabled',
            status: enabled ? 'pass' : 'fail',
            detail: enabled
                ? 'You have the API Enabled permission.'
                : 'You do not have the API Enabled permission: the listener cannot connect to Salesforce as you.',
            note: 'This page checks the signed-in user. The listener checks the user it connects as with its doctor command.',
            fix: 'Assign the Livestorm Integration permission set (it grants API Enabled) or use a profile with API Enabled.'
        };
    }

    objectAccessCheck(check, infos) {
        const name = objectName(check.object);
        const entry = infos[name];
        const base = { id: check.id, label: `Create and edit ${check.plural}`, fix: check.fix };
        if (!entry || !entry.info) {
            return {
                ...base,
                status: 'fail',
                detail: `You have no access to ${check.plural}. Salesforce says: ${entry ? entry.problem : 'no answer for this object'}`
            };
        }
        const missing = [];
        if (!entry.info.createable) {
            missing.push('create');
        }
        if (!entry.info.updateable) {
            missing.push('edit');
        }
        return {
            ...base,
            status: missing.length ? 'fail' : 'pass',
            detail: missing.length
                ? `You cannot ${missing.join(' or ')} ${check.plural}.`
                : `You can create and edit ${check.plural}.`
        };
    }

    fieldsCheck(id, label, entry, fields) {
        const base = { id, label, fix: DEPLOY_FIX };
        if (!entry || !entry.info) {
            return { ...base, status: 'unknown', detail: 'Cannot be checked without access to the object.' };
        }
        const available = entry.info.fields;
        const hidden = fields.filter((field) => !available[fieldName(field)]).map(fieldName);
        const readOnly = fields
            .filter((field) => available[fieldName(field)] && !available[fieldName(field)].updateable)
            .map(fieldName);
        if (!hidden.length && !readOnly.length) {
            return {
                ...base,
                status: 'pass',
                detail: `All ${fields.length} fields are visible and editable.`
            };
        }
        return {
            ...base,
            status: 'fail',
            detail: 'Some Livestorm fields are missing or not editable for you.',
            items: [
                ...hidden.map((name) => `${name}: not deployed or not visible`),
                ...readOnly.map((name) => `${name}: read-only`)
            ]
        };
    }

    replayStatusCheck(entry) {
        const name = fieldName(MEMBER_REPLAY_STATUS_FIELD);
        const base = {
            id: 'replay-status-field',
            label: 'Campaign Member field "Livestorm Replay Status"',
            fix: DEPLOY_FIX
        };
        if (!entry || !entry.info) {
            return {
                ...base,
                status: 'unknown',
                detail: 'Cannot be checked without access to Campaign Members.'
            };
        }
        const field = entry.info.fields[name];
        if (!field) {
            return { ...base, status: 'fail', detail: `Campaign Member has no ${name} field you can see.` };
        }
        if (!field.updateable) {
            return { ...base, status: 'fail', detail: `${field.label} (${name}) is read-only for you.` };
        }
        return { ...base, status: 'pass', detail: `${field.label} (${name}) is there and editable.` };
    }

    // UI API marks required the fields a create must fill in (not nillable, no default on create). A required
    // custom field the listener does not know about makes every create fail. Fields hidden from the user do not
    // appear here at all, hence the note.
    requiredFieldsCheck(infos) {
        const base = {
            id: 'required-custom-fields',
            label: 'No required custom field blocks creation',
            note: 'Fields hidden from you are not listed; the listener doctor command reads the full describe of the integration user.',
            fix: "Make these fields optional, give them a default value, or map a Livestorm value to them in the listener's configuration."
        };
        const blocking = [];
        const unchecked = [];
        CREATED_OBJECTS.forEach((object) => {
            const entry = infos[objectName(object)];
            if (!entry || !entry.info) {
                unchecked.push(objectName(object));
                return;
            }
            Object.values(entry.info.fields)
                .filter((field) => field.custom && field.required && field.createable)
                .forEach((field) => blocking.push(`${entry.info.label}: ${field.label} (${field.apiName})`));
        });
        if (blocking.length) {
            return {
                ...base,
                status: 'fail',
                detail: 'These required custom fields have no default: Salesforce rejects every record created without them.',
                items: blocking
            };
        }
        if (unchecked.length) {
            return {
                ...base,
                status: 'unknown',
                detail: `Not checked for ${unchecked.join(', ')}: no access.`
            };
        }
        return {
            ...base,
            status: 'pass',
            detail: 'Campaign, Lead and Contact have no required custom field without a default.'
        };
    }
}
